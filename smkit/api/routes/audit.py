"""The audit trail of every write, for whoever may read: who, when, what, before and after."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel

from smkit.api.audit import entries
from smkit.api.deps import Reader, ServedDep
from smkit.api.schemas.problems import REFUSALS
from smkit.api.schemas.times import moment

router = APIRouter(tags=["audit"], responses=REFUSALS)


class AuditView(BaseModel):
    seq: int
    at: dt.datetime
    who: str
    action: str
    target: str
    before: Any
    after: Any


@router.get("/audit", response_model=list[AuditView])
async def audit_trail(
    *, caller: Reader, app: ServedDep,
    target: Annotated[str | None, Query(max_length=300, description=(
        "Only this target and what is under it: order/WO-17, machine/press-01."))] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="Entries after this seq.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditView]:  # fmt: skip
    """Entries oldest first; page with ``after`` (the last seq seen)."""
    zone = ZoneInfo(app.plant.site.timezone)
    return [AuditView(seq=e.seq, at=moment(e.at_ns, zone), who=e.who, action=e.action,
                      target=e.target, before=e.before, after=e.after)
            for e in entries(app.plant.api.store, target, after, limit)]  # fmt: skip
