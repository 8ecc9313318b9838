"""Computed periods kept as records, exactly: what lets a closed period be served without
reading its samples again.

A period record (measurement ``oee_period``, tag ``machine``, at the period's start) holds the
period's elements as exact JSON (integers, and ``"n/d"`` for rational ideal times), its end and
key, and what it depends on:

* ``version``: the historian's arrivals version read before its samples were (see
  :mod:`smkit.historian.protocol`);
* ``settled_ns``: until when samples can change it: past the period's end by the small-stop
  threshold, and to the end of a stop in progress at its end (a stop is measured to its end);
* ``config``: the digest of the plant it was computed under (a changed plant.yaml changes it).

A record is still right when no sample of its machine was written after its version in an hour
that starts before ``settled_ns``, nor (bounded by :data:`CARRY_NS`) long before the period:
a late sample there could change the state carried into it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from smkit.core.timeunits import DAY_NS
from smkit.historian.protocol import FieldValue, Record
from smkit.oee.elements import Elements
from smkit.oee.periods import shift_periods
from smkit.oee.rollup import Computed, PeriodResult
from smkit.plant.model import Plant

PERIOD_MEASUREMENT = "oee_period"
CARRY_NS = 7 * DAY_NS
"""How far before a period a late sample is still looked for (a state carried longer than a
week without one new sample of the machine is not expected)."""


@dataclass(slots=True)
class KeptPeriod:
    """One machine's elements over one period, and what they depend on (module docstring)."""

    machine: str
    key: tuple[str, ...]
    start: int
    end: int
    elements: Elements
    version: int
    settled_ns: int

    def still_right(self, earliest_change: int | None) -> bool:
        """Whether no change in an hour starting at ``earliest_change`` can touch it."""
        return earliest_change is None or earliest_change >= self.settled_ns


def settled_at(end_ns: int, running_again_ns: int | None, small_stop_ns: int) -> int | None:
    """Until when samples can change a period ending at ``end_ns``; None while a stop in
    progress at its end has not ended."""
    if running_again_ns is None:
        return None
    return max(end_ns + small_stop_ns + 1, running_again_ns)


def kept_of(
    plant: Plant, computed: Computed, *, version: int, horizon_ns: int, small_stop_ns: int
) -> list[KeptPeriod]:
    """The closed, settled periods of a computation, to keep (an hour cut is not kept)."""
    out = []
    for result, again in zip(computed.results, computed.running_again, strict=True):
        settled = settled_at(result.end, again, small_stop_ns)
        if result.key[0] == "shift" and settled is not None and settled < horizon_ns:
            out.append(KeptPeriod(result.machine, result.key, result.start, result.end,
                                  result.elements, version, settled))  # fmt: skip
    return out


def whole_of(plant: Plant, computed: Computed, kept: Sequence[KeptPeriod]) -> list[KeptPeriod]:
    """The kept periods that are whole shifts or gaps, not cut at the edge of the computed
    window: only those are written as records (the next window will not cut where this one
    did). Periods between two others of the computation are whole."""
    starts = {r.start for r in computed.results}
    ends = {r.end for r in computed.results}
    return [k for k in kept if (k.start in ends and k.end in starts) or _is_whole(plant, k)]


def _is_whole(plant: Plant, period: KeptPeriod | PeriodResult) -> bool:
    around = shift_periods(plant, period.machine, period.start - 2 * DAY_NS,
                           period.end + 2 * DAY_NS)  # fmt: skip
    return any(p.start == period.start and p.end == period.end for p in around)


PAGE_ONLY = {"targets", "reason_required_after", "every", "lookback"}
"""Settings of plant.yaml's ``oee`` section that change how and when periods are shown or
written, not what they hold."""


def plant_digest(plant: Plant) -> str:
    """A digest of what a period's OEE depends on: the site and its machines, calendars, state
    maps, reasons and the time model's rules (a period computed under another is recomputed).
    Where data comes from or is stored, the API's settings and the KPI targets are not in it:
    changing them keeps every period."""
    relevant = plant.model_dump_json(include={"site", "calendars", "state_maps", "reasons", "oee"},
                                     exclude={"oee": PAGE_ONLY})  # fmt: skip
    return hashlib.sha256(relevant.encode()).hexdigest()[:16]


def to_record(kept: KeptPeriod, config: str) -> Record:
    """The period as a record of :data:`PERIOD_MEASUREMENT`."""
    fields_: dict[str, FieldValue] = {
        "end_ns": kept.end,
        "key": json.dumps(kept.key),
        "version": kept.version,
        "settled_ns": kept.settled_ns,
        "config": config,
        "elements": encode(kept.elements),
    }
    return Record(PERIOD_MEASUREMENT, {"machine": kept.machine}, fields_, kept.start)


def from_record(record: Record, config: str) -> KeptPeriod | None:
    """The period a record holds; None when it was computed under another plant.yaml or is not
    a whole period record."""
    found = record.fields
    if found.get("config") != config or not isinstance(found.get("elements"), str):
        return None
    return KeptPeriod(record.tags["machine"], tuple(json.loads(str(found["key"]))), record.ts,
                      int(found["end_ns"]), decode(str(found["elements"])),
                      int(found["version"]), int(found["settled_ns"]))  # fmt: skip


def encode(elements: Elements) -> str:
    """Elements as exact JSON."""
    out: dict[str, Any] = {}
    for field in fields(Elements):
        value = getattr(elements, field.name)
        out[field.name] = f"{value.numerator}/{value.denominator}" if isinstance(
            value, Fraction) else value  # fmt: skip
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> Elements:
    """Elements from :func:`encode`'s JSON."""
    found: dict[str, Any] = json.loads(text)
    exact: dict[str, Any] = {name: Fraction(value) if isinstance(value, str) else value
             for name, value in found.items()}  # fmt: skip
    return Elements(**exact)
