"""Late quality findings: units made at an instant, found later to be scrap or to need rework.

A finding is stored as the machine's ``late_scrap`` / ``late_rework`` samples at that instant
(as ``smkit oee finding`` writes it): recording the same finding again changes nothing, and a
new count at the same instant replaces the old one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from smkit.api.audit import Change
from smkit.api.deps import Caller, ServedDep, require
from smkit.api.machines import machine_named, signal_of
from smkit.api.query import happened
from smkit.api.roles import Right
from smkit.api.schemas.problems import REFUSALS
from smkit.api.schemas.times import moment
from smkit.api.writes import apply, recompute_from, stored_at
from smkit.core.sample import Sample
from smkit.plant.machine import SignalRole

router = APIRouter(tags=["findings"], responses=REFUSALS)
Writer = Annotated[Caller, Depends(require(Right.FINDINGS))]


class FindingIn(BaseModel):
    """Units ``machine`` made at ``at`` (site time without an offset) found to be scrap or to
    need rework; give at least one count above zero."""

    model_config = ConfigDict(extra="forbid")
    machine: str = Field(min_length=1, max_length=200)
    at: dt.datetime
    scrap: int = Field(default=0, ge=0, le=10**9)
    rework: int = Field(default=0, ge=0, le=10**9)

    @model_validator(mode="after")
    def _some_units(self) -> FindingIn:
        if not self.scrap + self.rework:
            raise ValueError("give scrap and/or rework as a number of units above zero")
        return self


class FindingView(BaseModel):
    machine: str
    at: dt.datetime
    scrap: int
    rework: int
    changed: bool
    records_recomputed: int


@router.post("/findings", response_model=FindingView)
async def record_finding(*, caller: Writer, app: ServedDep, finding: FindingIn) -> FindingView:
    """Record (or correct) a late quality finding; the shift's OEE records are recomputed."""
    place, machine = machine_named(app.plant, finding.machine)
    caller.check_line(place.line)
    zone = ZoneInfo(app.plant.site.timezone)
    ts = happened(app.plant, finding.at, "at")
    counts = ((SignalRole.LATE_SCRAP, finding.scrap), (SignalRole.LATE_REWORK, finding.rework))
    wanted = {role: units for role, units in counts if units}
    names = {role: signal_of(machine, role) for role in wanted}
    before = await stored_at(app, machine.id, list(names.values()), ts)
    after = before | {names[role]: units for role, units in wanted.items()}
    samples = [Sample(machine.id, names[role], ts, units) for role, units in wanted.items()]

    async def write() -> None:
        await app.historian.write_samples(samples)

    change = Change("finding.record", f"machine/{machine.id}/finding/{ts}", before or None, after)
    changed = await apply(app, caller, change, write)
    recomputed = await recompute_from(app, machine.id, ts) if changed else 0
    scrap, rework = (int(after.get(names.get(role, ""), 0) or 0)
                     for role in (SignalRole.LATE_SCRAP, SignalRole.LATE_REWORK))  # fmt: skip
    return FindingView(machine=machine.id, at=moment(ts, zone), scrap=scrap, rework=rework,
                       changed=changed, records_recomputed=recomputed)  # fmt: skip
