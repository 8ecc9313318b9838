"""Period results served from what was computed before: closed periods from memory, else from
the period records in the historian (the collector writes them), else computed and kept; the
open shift computed from its samples every time.

A request reads the historian's arrivals version first, then asks what was written since the
oldest result it could reuse (:mod:`smkit.oee.period_records` says when a result is still
right). Per machine, everything from the first period that cannot be reused to the window's
end is computed in one read, and what is closed is kept, in memory (least recently used first
out) and, when whole, as a record. One machine is computed by one request at a time: the
others wait for it and reuse what it kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence

from smkit.core.timeunits import HOUR_NS
from smkit.errors import HistorianError
from smkit.historian.protocol import Historian
from smkit.oee.period_records import (
    CARRY_NS,
    PERIOD_MEASUREMENT,
    KeptPeriod,
    from_record,
    kept_of,
    plant_digest,
    to_record,
    whole_of,
)
from smkit.oee.periods import shift_periods
from smkit.oee.rollup import PeriodResult
from smkit.oee.runner import computed_periods, settings_of
from smkit.plant.model import Plant

log = logging.getLogger("smkit.oee")
_Key = tuple[str, int, int]
"""A kept period: machine, start, end."""


class KeptPeriods:
    """The periods of a plant's machines, reused while still right (see the module docstring)."""

    def __init__(self, plant: Plant, historian: Historian, capacity: int = 200_000) -> None:
        self.plant = plant
        self.historian = historian
        self.capacity = capacity
        self.config = plant_digest(plant)
        self._small_stop_ns = settings_of(plant).small_stop_ns
        self._machines = [m.id for _, m in plant.machines()]
        self._kept: OrderedDict[_Key, KeptPeriod] = OrderedDict()
        self._computing: dict[str, asyncio.Lock] = {}

    async def results(
        self, start_ns: int, end_ns: int, *, now_ns: int, machines: Sequence[str] | None = None
    ) -> list[PeriodResult]:
        """Every machine's (or ``machines``') results per shift and gap of [start_ns, end_ns),
        as :func:`smkit.oee.runner.period_results` computes them."""
        chosen = [m for m in self._machines if machines is None or m in machines]
        out: list[PeriodResult] = []
        for machine in chosen:
            async with self._computing.setdefault(machine, asyncio.Lock()):
                out += await self._machine(machine, start_ns, end_ns, now_ns)
        return out

    async def _machine(
        self, machine: str, start_ns: int, end_ns: int, now_ns: int
    ) -> list[PeriodResult]:
        version = await self.historian.version()
        periods = [(p.start, p.end) for p in shift_periods(self.plant, machine, start_ns, end_ns)]
        found = [self._recall((machine, *span)) for span in periods]
        found = await self._still_right(machine, found, (start_ns, now_ns), version)
        missing = _first_missing(found)
        if missing < len(found) and periods[missing][1] + self._small_stop_ns < now_ns:
            stored = await self._from_records(machine, periods[missing:], now_ns, version)
            found[missing:] = [k or s for k, s in zip(found[missing:], stored, strict=True)]
            missing = _first_missing(found)
        place = self.plant.places()[machine]
        kept = [PeriodResult(machine, place, k.key, k.start, k.end, k.elements)
                for k in found[:missing] if k is not None]  # fmt: skip
        if missing < len(found):
            kept += await self._compute(machine, periods[missing][0], end_ns, now_ns, version)
        return kept

    async def _still_right(
        self,
        machine: str,
        found: list[KeptPeriod | None],
        window: tuple[int, int],
        version: int,
    ) -> list[KeptPeriod | None]:
        """``found`` with what a later write may have changed dropped; the rest is now known
        right as of ``version``."""
        versions = [k.version for k in found if k is not None]
        if not versions:
            return found
        start_ns, now_ns = window
        changed = await self.historian.changes([machine], start_ns - CARRY_NS,
                                               now_ns + HOUR_NS, min(versions))  # fmt: skip
        earliest = changed.get(machine)
        out: list[KeptPeriod | None] = []
        for kept in found:
            if kept is not None and kept.still_right(earliest):
                kept.version = version
                out.append(kept)
            else:
                out.append(None)
        return out

    async def _from_records(
        self, machine: str, periods: list[tuple[int, int]], now_ns: int, version: int
    ) -> list[KeptPeriod | None]:
        """The period records of ``periods`` that are still right."""
        records = await self.historian.read_records(
            PERIOD_MEASUREMENT, periods[0][0], periods[-1][0] + 1, {"machine": machine}
        )
        stored = {(k.start, k.end): k for r in records if (k := from_record(r, self.config))}
        found = [stored.get(span) for span in periods]
        found = await self._still_right(machine, found, (periods[0][0], now_ns), version)
        for kept in found:
            if kept is not None:
                self._keep(kept)
        return found

    async def _compute(
        self, machine: str, start_ns: int, end_ns: int, now_ns: int, version: int
    ) -> list[PeriodResult]:
        """Compute [start_ns, end_ns) of one machine; keep what is closed, write what is whole."""
        computed = computed_periods(self.plant, self.historian, start_ns, end_ns,
                                    horizon_ns=now_ns, machines=[machine])  # fmt: skip
        results = []
        async for found in computed:
            results += found.results
            kept = kept_of(self.plant, found, version=version, horizon_ns=now_ns,
                           small_stop_ns=self._small_stop_ns)  # fmt: skip
            for each in kept:
                self._keep(each)
            whole = [to_record(k, self.config) for k in whole_of(self.plant, found, kept)]
            try:
                await self.historian.write_records(whole)
            except HistorianError as error:  # served all the same; kept in memory
                log.warning("period records not written: %s", error)
        return results

    def _recall(self, key: _Key) -> KeptPeriod | None:
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
        return kept

    def _keep(self, kept: KeptPeriod) -> None:
        key = (kept.machine, kept.start, kept.end)
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)


def _first_missing(found: Sequence[KeptPeriod | None]) -> int:
    """The index of the first period not found (``len(found)`` when none is missing)."""
    return next((n for n, kept in enumerate(found) if kept is None), len(found))
