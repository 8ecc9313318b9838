"""Units per period: total, good, start-up and production rejects (scrap), rework, their ideal
times, and quality findings reported late.

Counters may measure any of total, good, rejects and rework; what is not measured is derived
(total = good + rejects + rework). Reworked units failed their first inspection but can be
made good by later work (ISO 22400 RQ): they are neither good nor scrap, and their ideal time
is a quality loss of its own.

A late finding (a QA check at the end of a shift scrapping 40 units of a batch made at 09:00)
is recorded at the time the units were made and moves them from good to scrap or rework in
the period whose planned time holds that time, with the ideal time of the product then in
production. It moves them whole: a finding larger than the period's good units (stamped at the
wrong time, most often) leaves a negative good count, flagged, rather than being cut to fit,
which would make a day differ from the sum of its shifts. A finding stamped outside planned
time changes no KPI and is reported as ``unapplied_adjustment``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from smkit.oee.crediting import Pricing, Segments, Tally, products_at, segments, split, tally
from smkit.oee.increments import Increments
from smkit.oee.model import MachineData
from smkit.oee.planned import PlannedIndex
from smkit.oee.timeline import SETUP, Timeline

Int64s = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Columns = dict[str, Sequence[Any]]


@dataclass
class Counted:
    """Per period: counts, and ideal times as numerators of the pricing's denominator."""

    total: Int64s
    good: Int64s
    startup: Int64s
    production: Int64s
    rework: Int64s
    ideal: npt.NDArray[Any]
    valuable: npt.NDArray[Any]
    startup_ideal: npt.NDArray[Any]
    production_ideal: npt.NDArray[Any]
    rework_ideal: npt.NDArray[Any]
    unapplied: Int64s


def count_columns(
    data: MachineData,
    line: Timeline,
    planned: PlannedIndex,
    bounds: tuple[Int64s, Int64s],
    startup_ns: int,
) -> Columns:
    """The count and ideal-time elements of each period, as columns."""
    total = _total(data)
    if total is None:
        return {}
    pieces = segments(planned, data.products)
    pricing = Pricing(data.products.names, data.catalog, data.default_product)
    periods = len(bounds[0])
    made = tally(total, pieces, pricing, periods)
    counted = _counted(made, _tallies(data, line, pieces, pricing, periods, startup_ns))
    if len(data.adjustments.ts):
        _adjust(counted, data, (planned, bounds), pricing)
    in_period = total.within(np.column_stack(bounds).ravel())[::2]
    counters = [c for c in (data.total, data.good, data.rejects, data.rework) if c is not None]
    invalid = data.adjustments.invalid_ts
    anomaly_ts = np.concatenate([*(c.anomaly_ts for c in counters), invalid])
    anomaly_units = np.concatenate([*(c.anomaly_units for c in counters), np.zeros_like(invalid)])
    rejects = counted.startup + counted.production
    return {
        "total": counted.total.tolist(), "good": counted.good.tolist(),
        "rejects": rejects.tolist(), "startup_rejects": counted.startup.tolist(),
        "production_rejects": counted.production.tolist(), "rework": counted.rework.tolist(),
        "ideal_ns": pricing.exact(counted.ideal), "valuable_ns": pricing.exact(counted.valuable),
        "startup_reject_ns": pricing.exact(counted.startup_ideal),
        "production_reject_ns": pricing.exact(counted.production_ideal),
        "rework_ns": pricing.exact(counted.rework_ideal),
        "outside_count": (in_period - made.count).tolist(),
        "unpriced_count": made.unpriced.tolist(),
        "unapplied_adjustment": counted.unapplied.tolist(),
        "counter_anomalies": _in_periods(anomaly_ts, np.ones_like(anomaly_ts), bounds),
        "anomalous_units": _in_periods(anomaly_ts, anomaly_units, bounds),
    }  # fmt: skip


@dataclass(frozen=True)
class _Tallies:
    """What the counters other than the total measured (None: not measured)."""

    good: Tally | None
    startup: Tally
    production: Tally | None
    rework: Tally | None


def _tallies(  # noqa: PLR0917 - what the tallies are made of, each needed
    data: MachineData,
    line: Timeline,
    pieces: Segments,
    pricing: Pricing,
    periods: int,
    startup_ns: int,
) -> _Tallies:
    """Good, rejects split into start-up (within ``startup_ns`` after a setup) and the rest,
    and rework, per period."""

    def per_period(counts: Increments | None) -> Tally | None:
        return None if counts is None else tally(counts, pieces, pricing, periods)

    startup, rejects = Tally.empty(periods), data.rejects
    if rejects is not None and startup_ns > 0:
        early = _after(rejects.ts, _setup_ends(line), startup_ns)
        if early.any():
            first, rejects = split(rejects, early)
            startup = tally(first, pieces, pricing, periods)
    return _Tallies(per_period(data.good), startup, per_period(rejects), per_period(data.rework))


def _counted(made: Tally, measured: _Tallies) -> Counted:
    """The counts and ideal times of each period, the unmeasured ones derived."""
    good, production, rework = measured.good, measured.production, measured.rework
    startup = measured.startup
    zero = np.zeros(len(made.count), np.int64)
    rework_n = rework.count if rework is not None else zero
    rework_i = rework.ideal if rework is not None else zero
    if production is not None:
        production_n = production.count
    elif good is not None:  # scrap is what is neither good nor rework
        production_n = made.count - good.count - rework_n
    else:
        production_n = zero
    good_n = (
        good.count if good is not None else made.count - startup.count - production_n - rework_n
    )
    if good is not None:
        valuable = good.ideal
    else:
        late = production.ideal if production is not None else zero
        valuable = made.ideal - startup.ideal - late - rework_i
    if production is not None:
        production_i = production.ideal
    else:
        production_i = made.ideal - valuable - startup.ideal - rework_i
    return Counted(
        made.count, good_n, startup.count, production_n, rework_n,
        made.ideal, valuable, startup.ideal, production_i, rework_i, zero.copy(),
    )  # fmt: skip


def _adjust(
    counted: Counted,
    data: MachineData,
    where: tuple[PlannedIndex, tuple[Int64s, Int64s]],
    pricing: Pricing,
) -> None:
    """Move late findings from good to scrap or rework, in the period of the units' time."""
    planned, bounds = where
    found = data.adjustments
    in_plan = planned.at(found.ts, closed_end=True)
    outside = in_plan < 0
    counted.unapplied = np.array(_in_periods(found.ts[outside], found.units[outside], bounds))
    product = products_at(data.products, found.ts)
    for name in ("valuable", "production_ideal", "rework_ideal"):  # exact, whatever the size
        setattr(counted, name, getattr(counted, name).astype(object))
    for period, units, rework, item in zip(
        in_plan.tolist(), found.units.tolist(), found.rework.tolist(), product.tolist(),
        strict=True,
    ):  # fmt: skip
        if period < 0:
            continue
        price = max(int(pricing.prices[item]), 0)  # -1: no ideal time known
        counted.good[period] -= units
        counted.valuable[period] -= units * price
        if rework:
            counted.rework[period] += units
            counted.rework_ideal[period] += units * price
        else:
            counted.production[period] += units
            counted.production_ideal[period] += units * price


def _in_periods(ts: Int64s, weights: Int64s, bounds: tuple[Int64s, Int64s]) -> list[int]:
    """``weights`` summed per period, each at its time in the period's ``(start, end]``."""
    starts, ends = bounds
    owner = np.searchsorted(starts, ts, side="left") - 1
    inside = (owner >= 0) & (ts <= ends[np.maximum(owner, 0)])
    sums = np.zeros(len(starts), np.int64)
    np.add.at(sums, owner[inside], weights[inside])
    return sums.tolist()


def _total(data: MachineData) -> Increments | None:
    """Units made: the total counter, or good + rejects (+ rework) when it is not measured."""
    if data.total is not None or data.good is None or data.rejects is None:
        return data.total
    parts = [c for c in (data.good, data.rejects, data.rework) if c is not None]
    ts = np.concatenate([c.ts for c in parts])
    order = np.argsort(ts, kind="stable")
    return Increments.of(ts[order], np.concatenate([c.units for c in parts])[order])


def _setup_ends(line: Timeline) -> Int64s:
    return line.runs(SETUP)[1]


def _after(ts: Int64s, moments: Int64s, within_ns: int) -> Bools:
    """Whether each time lies within ``within_ns`` after one of ``moments`` (sorted)."""
    if len(moments) == 0:
        return np.zeros(len(ts), dtype=bool)
    j = np.searchsorted(moments, ts, side="right") - 1
    return (j >= 0) & (ts - moments[np.maximum(j, 0)] <= within_ns)
