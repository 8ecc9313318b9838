"""What every route is given: the plant, the historian and the caller, checked against a right.

A key comes as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. No key or a key that is
not (or no longer) valid: 401. A valid key whose role lacks the right: 403. A read without a key
passes only when plant.yaml sets ``api.anonymous_read``; a write never does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from smkit.api.keys import ApiKey
from smkit.api.roles import Right, may
from smkit.api.served import Served

_BEARER = HTTPBearer(auto_error=False, description="An smkit API key: `smk_...`")
_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="An smkit API key")


@dataclass(frozen=True)
class Caller:
    """Who is asking: a key, or nobody (an anonymous read)."""

    key: ApiKey | None

    @property
    def name(self) -> str:
        return "anonymous" if self.key is None else f"{self.key.name} ({self.key.id})"

    def check_line(self, line: str) -> None:
        """403 unless the key may write on ``line`` (a key without lines may write on all)."""
        if self.key is None or (self.key.lines and line not in self.key.lines):
            allowed = ", ".join(self.key.lines) if self.key else "none"
            raise HTTPException(403, f"this key may not write on line {line!r} (its lines: "
                                     f"{allowed})")  # fmt: skip


async def served(request: Request) -> Served:
    """The app's plant, historian and key store (``async``: FastAPI runs a plain function
    dependency in a worker thread, a thread hop on every request)."""
    found: Served = request.app.state.served
    return found


ServedDep = Annotated[Served, Depends(served)]


def require(right: Right) -> Callable[..., Awaitable[Caller]]:
    """A dependency that lets the caller through only with ``right``."""

    async def check(
        request: Request,
        app: ServedDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
        header: Annotated[str | None, Security(_HEADER)],
    ) -> Caller:
        if bearer is None and "authorization" in request.headers:
            raise _unauthorized("the Authorization header must be 'Bearer <key>'")
        texts = {t for t in (bearer.credentials if bearer else None, header) if t is not None}
        if not texts:
            if right is Right.READ and app.plant.api.anonymous_read:
                return Caller(None)
            raise _unauthorized("an API key is needed (Authorization: Bearer <key>)")
        keys = [app.keys.verify(text) for text in texts]  # every key presented must be valid
        if len(keys) > 1 or keys[0] is None:
            raise _unauthorized("the API key is not valid or was revoked" if None in keys
                                else "give one API key, not two")  # fmt: skip
        key = keys[0]
        if not may(key.role, right):
            raise HTTPException(403, f"the role {key.role.value} may not do this "
                                     f"(it needs the right {right.value!r})")  # fmt: skip
        return Caller(key)

    return check


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


Reader = Annotated[Caller, Depends(require(Right.READ))]
