"""People's reasons for stops: give a stop a reason, reclassify it, or split it at an instant
(see :mod:`smkit.oee.entries` for how the engine lays them over the machine's reasons)."""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from smkit.api.audit import Change
from smkit.api.deps import Caller, ServedDep, require
from smkit.api.machines import machine_named
from smkit.api.query import happened, invalid
from smkit.api.roles import Right
from smkit.api.schemas.problems import REFUSALS
from smkit.api.schemas.times import moment
from smkit.api.served import Served
from smkit.api.writes import apply, recompute_from, stored_at
from smkit.core.sample import Sample
from smkit.oee.entries import OPERATOR_REASON
from smkit.oee.inputs import state_changes_of, state_signals
from smkit.oee.runner import machine_series, settings_of
from smkit.oee.timeline import CATEGORY_CODE
from smkit.plant.machine import Machine, StateCategory

router = APIRouter(tags=["stops"], responses=REFUSALS)
Operator = Annotated[Caller, Depends(require(Right.STOP_REASONS))]
_RUN = CATEGORY_CODE[StateCategory.RUNNING]


class StopReasonIn(BaseModel):
    """From ``at`` (a stop's start: the whole stop; an instant inside it: a split) until the
    machine runs again or the next entry, the stop's reason is ``reason`` (a code of the
    reason catalog; empty: the machine's own reason again)."""

    model_config = ConfigDict(extra="forbid")
    machine: str = Field(min_length=1, max_length=200)
    at: dt.datetime
    reason: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=2000)


class StopReasonView(BaseModel):
    machine: str
    at: dt.datetime
    reason: str
    changed: bool
    records_recomputed: int


@router.post("/stop-reasons", response_model=StopReasonView)
async def give_reason(*, caller: Operator, app: ServedDep, entry: StopReasonIn) -> StopReasonView:
    """Give the stop going on at ``at`` a reason from then on; its OEE records are recomputed."""
    at = happened(app.plant, entry.at, "at")
    return await reason_given(
        app, caller, machine_id=entry.machine, at=at, reason=entry.reason, note=entry.note
    )


async def reason_given(app: Served, caller: Caller, *, machine_id: str, at: int, reason: str,
                       note: str | None) -> StopReasonView:  # fmt: skip
    """What ``POST /stop-reasons`` does, for an instant in UTC ns (the pages give a stop's
    exact start): checked, written, audited, its records recomputed."""
    place, machine = machine_named(app.plant, machine_id)
    caller.check_line(place.line)
    codes = [known.code for known in app.plant.reasons]
    if reason and reason not in codes:
        known = f"known: {', '.join(codes)}; empty: the machine's own"
        raise invalid("reason", f"no reason {reason!r} in the catalog ({known})", "body")
    await _check_stopped(app, machine, at)
    before = (await stored_at(app, machine.id, [OPERATOR_REASON], at)).get(OPERATOR_REASON)

    async def write() -> None:
        await app.historian.write_samples([Sample(machine.id, OPERATOR_REASON, at, reason)])

    change = Change("stop.reason", f"machine/{machine.id}/stop/{at}",
                    None if before is None else {"reason": before},
                    {"reason": reason, "note": note})  # fmt: skip
    if before == reason:  # the same reason again: a replay, whatever its note says
        change = Change(change.action, change.target, change.after, change.after)
    changed = await apply(app, caller, change, write)
    recomputed = await recompute_from(app, machine.id, at) if changed else 0
    zone = ZoneInfo(app.plant.site.timezone)
    return StopReasonView(machine=machine.id, at=moment(at, zone), reason=reason,
                          changed=changed, records_recomputed=recomputed)  # fmt: skip


async def _check_stopped(app: Served, machine: Machine, at: int) -> None:
    """A 422 naming ``at`` unless the machine is stopped then."""
    state_map = app.plant.state_maps.get(machine.state_map) if machine.state_map else None
    names = [n for n in state_signals(machine, state_map) if n != OPERATOR_REASON]
    series = await machine_series(app.historian, machine, state_map, names, (at, at + 1),
                                  settings=settings_of(app.plant), horizon_ns=at + 1)  # fmt: skip
    changes = state_changes_of(machine, state_map, series)
    row = bisect.bisect_right(changes.ts.tolist(), at) - 1
    if row < 0 or int(changes.category[row]) == _RUN:
        state = "has no state yet" if row < 0 else "is running"
        raise invalid("at", f"{machine.id} {state} then: there is no stop to give a reason to",
                      "body")  # fmt: skip
