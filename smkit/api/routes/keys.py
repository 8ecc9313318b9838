"""API keys for the admin, as ``smkit api-key`` manages them: list, create (the key is in the
answer once), revoke. Each change is audited; the key itself is never logged nor kept."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from pathlib import Path as FilePath
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from smkit.api.audit import Change
from smkit.api.deps import Caller, ServedDep, require
from smkit.api.errors import Conflict, NotFound
from smkit.api.keys import ApiKey, insert, key_of, new_key, revoked
from smkit.api.query import invalid
from smkit.api.roles import Right, Role
from smkit.api.schemas.problems import CONFLICT, REFUSALS
from smkit.api.schemas.times import moment
from smkit.api.store import connected
from smkit.api.writes import apply

router = APIRouter(tags=["keys"], responses=REFUSALS | CONFLICT)
Admin = Annotated[Caller, Depends(require(Right.KEYS))]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}$", description="The key's id.")]


class KeyIn(BaseModel):
    """A new key: who or what uses it, its role, and (for an operator) the only lines it may
    write on (none: every line)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Role
    lines: list[str] = Field(default_factory=list, max_length=100)


class KeyView(BaseModel):
    id: str
    name: str
    role: Role
    lines: list[str]
    created: dt.datetime
    revoked: dt.datetime | None


class CreatedKey(KeyView):
    key: str = Field(description="The key itself: shown in this answer only, keep it now.")


class RevokedView(KeyView):
    changed: bool


def _view(key: ApiKey, zone: ZoneInfo) -> KeyView:
    revoked_at = None if key.revoked_ns is None else moment(key.revoked_ns, zone)
    return KeyView(id=key.id, name=key.name, role=key.role, lines=list(key.lines),
                   created=moment(key.created_ns, zone), revoked=revoked_at)  # fmt: skip


def _summary(key: ApiKey) -> dict[str, object]:
    """What the audit trail keeps of a key (never the key)."""
    return {"name": key.name, "role": key.role.value, "lines": list(key.lines),
            "revoked": key.revoked_ns is not None}  # fmt: skip


@router.get("/keys", response_model=list[KeyView])
async def list_keys(*, caller: Admin, app: ServedDep) -> list[KeyView]:
    """Every key, revoked ones too, oldest first (never the key itself)."""
    zone = ZoneInfo(app.plant.site.timezone)
    return [_view(key, zone) for key in await asyncio.to_thread(app.keys.listed)]


@router.post("/keys", response_model=CreatedKey, status_code=201)
async def create_key(*, caller: Admin, app: ServedDep, wanted: KeyIn) -> CreatedKey:
    """Create a key. A name is one active key: asking again for a name in use is a 409 that
    changes nothing (revoke the old key first)."""
    known = sorted({place.line for place in app.plant.places().values()})
    for n, line in enumerate(wanted.lines):
        if line not in known:
            raise invalid(("lines", n), f"no line {line!r} (known: {', '.join(known)})", "body")
    in_use = [k for k in await asyncio.to_thread(app.keys.listed)
              if k.name == wanted.name.strip() and k.revoked_ns is None]  # fmt: skip
    if in_use:
        raise Conflict(f"an active key is named {wanted.name.strip()!r} (id {in_use[0].id}): "
                       "revoke it first, or choose another name")  # fmt: skip
    key, text = new_key(wanted.name, wanted.role, wanted.lines)

    def save(db: sqlite3.Connection) -> None:
        insert(db, key, text)

    await apply(app, caller, Change("key.create", f"key/{key.id}", None, _summary(key)), None,
                save)  # fmt: skip
    view = _view(key, ZoneInfo(app.plant.site.timezone))
    return CreatedKey(**view.model_dump(), key=text)


@router.delete("/keys/{key_id}", response_model=RevokedView)
async def revoke_key(*, caller: Admin, app: ServedDep, key_id: KeyId) -> RevokedView:
    """Revoke a key for good: requests with it get 401 from now on. Again changes nothing."""
    before = await asyncio.to_thread(_stored, app.plant.api.store, key_id)
    if before is None:
        raise NotFound(f"no API key has the id {key_id!r}")
    now = time.time_ns()
    after = before if before.revoked_ns is not None else ApiKey(
        before.id, before.name, before.role, before.lines, before.created_ns, now)  # fmt: skip

    def save(db: sqlite3.Connection) -> None:
        revoked(db, key_id, now)

    change = Change("key.revoke", f"key/{key_id}", _summary(before), _summary(after))
    changed = await apply(app, caller, change, None, save)
    view = _view(after, ZoneInfo(app.plant.site.timezone))
    return RevokedView(**view.model_dump(), changed=changed)


def _stored(store: FilePath, key_id: str) -> ApiKey | None:
    with connected(store) as db:
        return key_of(db, key_id)
