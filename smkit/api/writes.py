"""How every write is carried out: durable before it is acknowledged, idempotent, audited, and
followed by the recomputation of the OEE records it touches.

1. The state before is read; a request that would change nothing returns at once (a replayed
   request changes nothing and writes no audit entry).
2. Its effect on the historian (samples the engine reads) is written; if the historian cannot
   take it, the client gets a 503 with Retry-After and nothing is recorded.
3. The API's own record and the audit entry are stored in one transaction.
4. The machine's records from the shift of the change to now are computed again.

A crash between 2 and 3 leaves samples that the replayed request writes again unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable

from smkit.api.audit import Change, record
from smkit.api.deps import Caller
from smkit.api.served import Served
from smkit.api.store import connected
from smkit.core.sample import Value
from smkit.core.timeunits import DAY_NS
from smkit.errors import ConfigError
from smkit.oee.periods import shift_periods
from smkit.oee.runner import run_once

log = logging.getLogger("smkit.api")


async def apply(
    app: Served,
    caller: Caller,
    change: Change,
    effect: Callable[[], Awaitable[None]] | None = None,
    save: Callable[[sqlite3.Connection], None] | None = None,
) -> bool:
    """Carry out ``change`` (see the module docstring); whether it changed anything."""
    if not change.changes_anything:
        return False
    if effect is not None:
        await effect()

    def commit() -> None:
        with connected(app.plant.api.store) as db:
            if save is not None:
                save(db)
            record(db, caller.name, change, time.time_ns())

    await asyncio.to_thread(commit)
    app.answers.clear()
    log.info("%s: %s %s", caller.name, change.action, change.target)
    return True


async def stored_at(app: Served, machine: str, names: list[str], ts: int) -> dict[str, Value]:
    """The values of the machine's ``names`` stored at exactly ``ts`` (what a write there
    would replace)."""
    found = await app.historian.read_columns(machine, ts, ts + 1, names)
    return {name: column.values[-1] for name, column in found.items()
            if len(column) and int(column.ts[-1]) == ts}  # fmt: skip


async def recompute_from(app: Served, machine: str, at_ns: int) -> int:
    """Write the machine's OEE records again from the start of the shift holding ``at_ns`` to
    now; how many were written (none for a machine without a calendar)."""
    now = time.time_ns()
    try:
        first = shift_periods(app.plant, machine, min(at_ns, now) - DAY_NS, min(at_ns, now) + 1)
    except ConfigError:  # no calendar: no planned time, no OEE records
        return 0
    return await run_once(app.plant, app.historian, first[-1].start, now, horizon_ns=now,
                          machines=[machine])  # fmt: skip
