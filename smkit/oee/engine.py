"""The OEE engine: one machine's timeline and counts, cut by periods into time-model elements.

Pure and vectorised (numpy): no clock (``horizon_ns`` says how far time has run), no database.
For each period (a shift occurrence, an hour, any window) with its planned production intervals:

* the classified timeline is intersected with the planned intervals, giving nanoseconds per
  class (running, setup, breakdown, small stop, idling, planned stop, unknown) and downtime per
  reason; running time inside the period but outside planned time is reported apart;
* a failure belongs to the period in whose planned time it begins, with its whole length;
* units are credited at their counter sample's time: inside planned time (``(start, end]`` of a
  planned interval) they count for performance and quality, with the ideal cycle time of the
  product in production at that moment; outside it they are reported as ``outside_count``.
  Rejects within ``startup_ns`` after a setup are start-up rejects.

Sums per class are exact: numpy adds the integer nanoseconds in float64, exact below 2**53 ns
(104 days) per period, which :func:`compute` checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from smkit.oee.counters import Increments
from smkit.oee.elements import Elements
from smkit.oee.timeline import (
    BREAKDOWN,
    CLASS_NAMES,
    IDLE,
    PLANNED_STOP,
    RUN,
    SETUP,
    SMALL_STOP,
    UNKNOWN,
    StateChanges,
    Timeline,
    timeline,
)
from smkit.plant.machine import Reason
from smkit.plant.schedule import Interval

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
_EXACT_LIMIT = 2**53
_CLASS_FIELD = {RUN: "running_ns", SETUP: "setup_ns", BREAKDOWN: "breakdown_ns",
                SMALL_STOP: "small_stop_ns", IDLE: "idle_ns", PLANNED_STOP: "planned_stop_ns",
                UNKNOWN: "unknown_ns"}  # fmt: skip
_DOWN = (SETUP, BREAKDOWN, SMALL_STOP, IDLE, PLANNED_STOP)


@dataclass(frozen=True)
class Period:
    """A window of time to report on, and the planned production intervals inside it."""

    key: tuple[str, ...]
    start: int
    end: int
    planned: tuple[Interval, ...]


@dataclass(frozen=True)
class ProductSpec:
    """Ideal time of one cycle (ns) and the units one cycle makes."""

    cycle_ns: int
    units: int = 1

    @property
    def per_unit_ns(self) -> Fraction:
        """Ideal time of one unit, exactly."""
        return Fraction(self.cycle_ns, self.units)


@dataclass(frozen=True)
class ProductChanges:
    """From each time on, the machine makes ``names[index]`` (-1: unknown)."""

    ts: Int64s
    index: Int32s
    names: tuple[str, ...]

    @classmethod
    def of(cls, changes: Sequence[tuple[int, str | None]]) -> ProductChanges:
        """From ``(ts, product)`` pairs in time order (None: no product known)."""
        names = tuple(sorted({p for _, p in changes if p is not None}))
        number = {name: i for i, name in enumerate(names)}
        return cls(
            np.array([ts for ts, _ in changes], dtype=np.int64),
            np.array([-1 if p is None else number[p] for _, p in changes], dtype=np.int32),
            names,
        )


@dataclass(frozen=True)
class MachineData:
    """What the engine needs of one machine; counts are increments (see ``counters``)."""

    machine: str
    states: StateChanges
    total: Increments | None = None
    good: Increments | None = None
    rejects: Increments | None = None
    products: ProductChanges = ProductChanges(np.zeros(0, np.int64), np.zeros(0, np.int32), ())
    catalog: Mapping[str, ProductSpec] = field(default_factory=dict)
    default_product: str | None = None
    unknown_states: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Rules of the time model."""

    reasons: Mapping[str, Reason]
    small_stop_ns: int = 120 * 10**9
    startup_ns: int = 0
    max_hold_ns: int | None = None


def compute(
    data: MachineData, periods: Sequence[Period], settings: Settings, horizon_ns: int
) -> list[Elements]:
    """The elements of each period (disjoint, sorted); time after ``horizon_ns`` has not come.

    The timeline runs from just before the first period (the small-stop threshold earlier, so
    a stop is classed by its whole length) to the horizon, so that a failure's length does not
    depend on the periods asked for.
    """
    if not periods:
        return []
    clipped = [_clip(period, horizon_ns) for period in periods]
    out = [Elements(all_ns=max(0, p.end - p.start)) for p in clipped]
    for element, period in zip(out, clipped, strict=True):
        element.planned_ns = sum(b - a for a, b in period.planned)
        if element.all_ns >= _EXACT_LIMIT:
            raise ValueError(f"period {period.key} is longer than 104 days; split it")
    begin = min(p.start for p in clipped) - settings.small_stop_ns - 1
    line = timeline(data.states, begin, max(begin + 1, horizon_ns), settings.reasons,
                    settings.small_stop_ns, settings.max_hold_ns)  # fmt: skip
    planned = _PlannedIndex(clipped)
    _add_time(out, line, planned, clipped)
    _add_failures(out, line, planned)
    _add_counts(out, data, line, planned, periods=clipped, startup_ns=settings.startup_ns)
    if data.unknown_states:
        for element in out:
            element.unknown_states = dict(data.unknown_states)
    return out


def _clip(period: Period, horizon_ns: int) -> Period:
    planned = tuple((a, min(b, horizon_ns)) for a, b in period.planned if a < min(b, horizon_ns))
    return Period(period.key, period.start, min(period.end, max(period.start, horizon_ns)), planned)


class _PlannedIndex:
    """All planned intervals of all periods, sorted: their bounds and whose they are."""

    def __init__(self, periods: Sequence[Period]) -> None:
        pieces = sorted((a, b, n) for n, p in enumerate(periods) for a, b in p.planned)
        self.start = np.array([a for a, _, _ in pieces], dtype=np.int64)
        self.end = np.array([b for _, b, _ in pieces], dtype=np.int64)
        self.period = np.array([n for _, _, n in pieces], dtype=np.int64)
        self.bounds = np.column_stack((self.start, self.end)).ravel()

    def at(self, ts: Int64s, *, closed_end: bool = False) -> Int64s:
        """The period whose planned time holds each instant, -1 if none.

        Intervals are disjoint, so their bounds interleave: an instant lies inside one when it
        falls after an odd number of bounds. ``closed_end`` takes intervals as (start, end]
        (for counts) instead of [start, end).
        """
        if len(self.bounds) == 0:
            return np.full(len(ts), -1, dtype=np.int64)
        after = np.searchsorted(self.bounds, ts, side="left" if closed_end else "right")
        inside = (after & 1).astype(bool)
        return np.where(inside, self.period[np.minimum(after >> 1, len(self.period) - 1)], -1)


def _add_time(
    out: list[Elements], line: Timeline, planned: _PlannedIndex, periods: Sequence[Period]
) -> None:
    starts = np.array([p.start for p in periods], dtype=np.int64)
    ends = np.array([p.end for p in periods], dtype=np.int64)
    cuts = np.unique(np.concatenate((line.start, [line.end[-1]], planned.start, planned.end,
                                     starts, ends)))  # fmt: skip
    cuts = cuts[(cuts >= line.start[0]) & (cuts <= line.end[-1])]
    left, duration = cuts[:-1], np.diff(cuts)
    which = np.searchsorted(line.start, left, side="right") - 1
    kind, reason = line.kind[which], line.reason[which]
    in_plan = planned.at(left)
    count = len(out)
    sums = np.bincount(
        np.where(in_plan >= 0, in_plan * 8 + kind, count * 8), weights=duration,
        minlength=count * 8 + 1,
    )[: count * 8].reshape(count, 8)  # fmt: skip
    for number, element in enumerate(out):
        for code, name in _CLASS_FIELD.items():
            setattr(element, name, int(sums[number, code]))
    period = np.searchsorted(starts, left, side="right") - 1
    inside = (period >= 0) & (left < ends[np.maximum(period, 0)])
    outside_run = inside & (in_plan < 0) & (kind == RUN)
    extra = np.bincount(period[outside_run], weights=duration[outside_run], minlength=count)
    for number, element in enumerate(out):
        element.outside_running_ns = int(extra[number])
    _add_reasons(out, line, in_plan=in_plan, kind=kind, reason=reason, duration=duration)


def _add_reasons(
    out: list[Elements],
    line: Timeline,
    *,
    in_plan: Int64s,
    kind: npt.NDArray[np.int8],
    reason: Int32s,
    duration: Int64s,
) -> None:
    """Downtime per reason ("" for stops without one, named by their class)."""
    down = (in_plan >= 0) & np.isin(kind, _DOWN)
    if not down.any():
        return
    names = len(line.reason_names)
    key = (in_plan[down] * 8 + kind[down]) * names + reason[down]
    keys, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=duration[down])
    for value, ns in zip(keys.tolist(), sums.tolist(), strict=True):
        period, rest = divmod(value, 8 * names)
        kind_code, code = divmod(rest, names)
        label = line.reason_names[code] or f"({CLASS_NAMES[kind_code]})"
        bucket = out[period].downtime_by_reason
        bucket[label] = bucket.get(label, 0) + int(ns)


def _add_failures(out: list[Elements], line: Timeline, planned: _PlannedIndex) -> None:
    starts, lengths = line.failures()
    where = planned.at(starts)
    counted = where >= 0
    if not counted.any():
        return
    failures = np.bincount(where[counted], minlength=len(out))
    length = np.bincount(where[counted], weights=lengths[counted], minlength=len(out))
    for period in np.flatnonzero(failures).tolist():
        out[period].failures += int(failures[period])
        out[period].failure_ns += int(length[period])


def _add_counts(
    out: list[Elements],
    data: MachineData,
    line: Timeline,
    planned: _PlannedIndex,
    *,
    periods: Sequence[Period],
    startup_ns: int,
) -> None:
    total, good, rejects = _three_counts(data)
    if total is None:
        return
    _add_total(out, data, total, planned, periods)
    bad = rejects if rejects is not None else None
    if good is not None:
        _credit(out, data, good, _place(data, good, planned), ("good", "valuable_ns"))
    if bad is not None:
        startup = _after(bad.ts, _setup_ends(line), startup_ns)
        period, product = _place(data, bad, planned)
        first = (np.where(startup, period, -1), product)
        later = (np.where(startup, -1, period), product)
        _credit(out, data, bad, first, ("startup_rejects", "startup_reject_ns"))
        _credit(out, data, bad, later, ("production_rejects", "production_reject_ns"))
        for element in out:
            element.rejects = element.startup_rejects + element.production_rejects
    for element in out:
        if good is None:
            element.good = element.total - element.rejects
            element.valuable_ns = (
                element.ideal_ns - element.startup_reject_ns - element.production_reject_ns
            )
        if bad is None:
            element.rejects = element.total - element.good
            element.production_rejects = element.rejects
            element.production_reject_ns = element.ideal_ns - element.valuable_ns
        anomalies = [c for c in (data.total, data.good, data.rejects) if c is not None]
        element.counter_anomalies = sum(c.anomalies for c in anomalies)
        element.anomalous_units = sum(c.anomalous_units for c in anomalies)


def _three_counts(
    data: MachineData,
) -> tuple[Increments | None, Increments | None, Increments | None]:
    """Total, good and rejects, the missing one derived from the other two when it can be."""
    total, good, rejects = data.total, data.good, data.rejects
    if total is None and good is not None and rejects is not None:
        ts = np.concatenate((good.ts, rejects.ts))
        units = np.concatenate((good.units, rejects.units))
        order = np.argsort(ts, kind="stable")
        total = Increments(ts[order], units[order])
    return total, good, rejects


def _add_total(
    out: list[Elements],
    data: MachineData,
    total: Increments,
    planned: _PlannedIndex,
    periods: Sequence[Period],
) -> None:
    placed = _place(data, total, planned)
    _credit(out, data, total, placed, ("total", "ideal_ns"))
    starts = np.array([p.start for p in periods], dtype=np.int64)
    ends = np.array([p.end for p in periods], dtype=np.int64)
    period = np.searchsorted(starts, total.ts, side="left") - 1
    inside = (period >= 0) & (total.ts <= ends[np.maximum(period, 0)])
    outside = inside & (placed[0] < 0)
    extra = np.bincount(period[outside], weights=total.units[outside], minlength=len(out))
    for number, element in enumerate(out):
        element.outside_count = int(extra[number])


def _place(data: MachineData, counts: Increments, planned: _PlannedIndex) -> tuple[Int64s, Int32s]:
    """For each increment: the period whose planned time holds it (-1: none), and the product."""
    return planned.at(counts.ts, closed_end=True), _products_at(data, counts.ts)


def _credit(
    out: list[Elements],
    data: MachineData,
    counts: Increments,
    placed: tuple[Int64s, Int32s],
    fields: tuple[str, str],
) -> None:
    """Add units inside planned time to the count field, and their ideal time to the other."""
    count_field, ideal_field = fields
    period, product = placed
    inside = period >= 0
    if not inside.any():
        return
    width = len(data.products.names) + 1
    key = period[inside] * width + product[inside] + 1
    # float64 sums of integer counts are exact below 2**53 units
    units = np.bincount(key, weights=counts.units[inside], minlength=len(out) * width)
    for value in np.flatnonzero(units).tolist():
        number, index = divmod(value, width)
        element, made = out[number], int(units[value])
        setattr(element, count_field, getattr(element, count_field) + made)
        spec = _spec(data, index - 1)
        if spec is None:
            if count_field == "total":
                element.unpriced_count += made
            continue
        setattr(element, ideal_field, getattr(element, ideal_field) + made * spec.per_unit_ns)


def _products_at(data: MachineData, ts: Int64s) -> Int32s:
    changes = data.products
    if len(changes.ts) == 0:
        return np.full(len(ts), -1, dtype=np.int32)
    j = np.searchsorted(changes.ts, ts, side="right") - 1
    return np.where(j >= 0, changes.index[np.maximum(j, 0)], -1).astype(np.int32)


def _spec(data: MachineData, index: int) -> ProductSpec | None:
    name = data.products.names[index] if index >= 0 else data.default_product
    if name is None and len(data.catalog) == 1:
        name = next(iter(data.catalog))
    return data.catalog.get(name) if name is not None else None


def _setup_ends(line: Timeline) -> Int64s:
    is_setup = line.kind == SETUP
    edges = np.diff(np.concatenate(([0], is_setup.astype(np.int8), [0])))
    return line.end[np.flatnonzero(edges == -1) - 1]


def _after(ts: Int64s, moments: Int64s, within_ns: int) -> npt.NDArray[np.bool_]:
    """Whether each time lies within ``within_ns`` after one of ``moments`` (sorted)."""
    if len(moments) == 0 or within_ns <= 0:
        return np.zeros(len(ts), dtype=bool)
    j = np.searchsorted(moments, ts, side="right") - 1
    return (j >= 0) & (ts - moments[np.maximum(j, 0)] <= within_ns)
