"""Inside ``smkit collect``: the KPI records of recent shifts, kept up to date every
``oee.every``, recomputing only what changed.

The first turn computes the whole ``oee.lookback`` (36 h). Each later turn asks the historian
which machines got samples since the version the last turn computed from
(:meth:`~smkit.historian.protocol.Historian.changes`: a sample that arrived late, a person's
stop reason, a quality finding, an order) and recomputes, per machine, from the start of the
period holding the earliest of:

* the shift that was going on at the last turn (it grows with time, and once it has ended it is
  computed until it is final);
* the earliest hour that a change touched.

A plant whose machines report every minute thus recomputes its open shifts each turn, not a day
and a half of every machine; late data reaches exactly the shifts it falls in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from smkit.core.timeunits import DAY_NS, HOUR_NS, NS_PER_S
from smkit.errors import SmkitError
from smkit.historian.protocol import Historian
from smkit.oee.periods import shift_periods
from smkit.oee.runner import planned_machines, run_once, settings_of
from smkit.plant.model import Plant

log = logging.getLogger("smkit.oee")


@dataclass
class RecentShifts:
    """The recent shifts' records of ``machines``, computed turn after turn."""

    plant: Plant
    historian: Historian
    machines: Sequence[str]
    since: int | None = None
    """The historian's version the last turn computed from (None: no turn yet)."""
    last_turn_ns: int = 0

    async def turn(self, now_ns: int) -> int:
        """Compute what changed since the last turn, up to ``now_ns``; records written."""
        version = await self.historian.version()
        starts = await self._starts(now_ns)
        written = 0
        for start, machines in starts.items():
            written += await run_once(self.plant, self.historian, start, now_ns,
                                      horizon_ns=now_ns, machines=machines)  # fmt: skip
        self.since, self.last_turn_ns = version, now_ns
        return written

    async def _starts(self, now_ns: int) -> dict[int, list[str]]:
        """Where each machine's computation begins, machines grouped by it."""
        oldest = now_ns - round(self.plant.oee.lookback * NS_PER_S)
        if self.since is None:
            return {oldest: list(self.machines)}
        changed = await self.historian.changes(self.machines, oldest, now_ns + HOUR_NS,
                                               self.since)  # fmt: skip
        settling = self.last_turn_ns - settings_of(self.plant).small_stop_ns
        out: dict[int, list[str]] = {}
        for machine in self.machines:
            wanted = max(min(settling, changed.get(machine, settling)), oldest)
            out.setdefault(self._period_start(machine, wanted, oldest), []).append(machine)
        return out

    def _period_start(self, machine: str, at_ns: int, oldest: int) -> int:
        """The start of the shift (or gap) holding ``at_ns``, not before ``oldest``."""
        periods = shift_periods(self.plant, machine, max(at_ns - DAY_NS, oldest), at_ns + 1)
        holding = next(p for p in reversed(periods) if p.start <= at_ns)
        return max(holding.start, oldest)


async def schedule(plant: Plant, historian: Historian, stop: asyncio.Event) -> None:
    """Keep the recent shifts' records up to date every ``oee.every`` until ``stop``.

    A failure (the historian away) is logged once and retried at the next turn, which then
    computes everything since the last turn that succeeded.
    """
    machines = planned_machines(plant)
    if not plant.oee.every or not machines:
        return
    recent = RecentShifts(plant, historian, machines)
    failing: str | None = None
    while not stop.is_set():
        try:
            written = await recent.turn(time.time_ns())
        except SmkitError as error:
            if str(error) != failing:
                log.warning("OEE not computed: %s", error)
            failing = str(error)
        else:
            if failing is not None:
                log.info("OEE computed again (%d records)", written)
            failing = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), plant.oee.every)
