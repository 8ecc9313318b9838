"""What every route is given: the plant, the historian and the caller, checked against a right.

A key comes as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. No key or a key that is
not (or no longer) valid: 401. A valid key whose role lacks the right: 403. A read without a key
passes only when plant.yaml sets ``api.anonymous_read``; a write never does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter

from smkit.api.keys import ApiKey
from smkit.api.roles import Right, may
from smkit.api.served import Served


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
    """A dependency that lets the caller through only with ``right``.

    It reads both headers itself, where ``HTTPBearer`` and ``APIKeyHeader`` dependencies would
    cost FastAPI three dependencies more to solve on every request (a third of a cached
    status answer's time); :func:`document_keys` puts their schemes in the OpenAPI schema.
    """

    async def check(request: Request) -> Caller:
        app: Served = request.app.state.served
        texts = {t for t in (_bearer(request), request.headers.get("x-api-key")) if t}
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

    _KEY_CHECKS.add(check)
    return check


def _bearer(request: Request) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header; a 401 for any other scheme."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return None
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <key>'")
    return key.strip()


_KEY_CHECKS: set[Callable[..., Awaitable[Caller]]] = set()
_SCHEMES = {
    "HTTPBearer": {"type": "http", "scheme": "bearer", "description": "An smkit key: `smk_...`"},
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "An smkit API key"},
}  # fmt: skip


def document_keys(app: FastAPI, prefix: str, routers: Sequence[APIRouter]) -> None:
    """Name the two ways to send a key in the OpenAPI schema, on every route of ``routers``
    (included under ``prefix``) that checks one."""
    checked = {(method.lower(), prefix + route.path) for router in routers
               for route in router.routes
               if isinstance(route, APIRoute) and _checks_key(route.dependant)
               for method in route.methods or ()}  # fmt: skip
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        schema = plain()
        schema.setdefault("components", {})["securitySchemes"] = _SCHEMES
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                if (method, path) in checked:
                    operation["security"] = [{name: []} for name in _SCHEMES]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _checks_key(dependant: Dependant) -> bool:
    return dependant.call in _KEY_CHECKS or any(_checks_key(d) for d in dependant.dependencies)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


Reader = Annotated[Caller, Depends(require(Right.READ))]
