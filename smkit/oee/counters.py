"""Units counted between counter samples: cumulative counters with rollover and resets, or
deltas, with implausible jumps set aside.

A cumulative counter's increase between two samples is credited at the later sample's time.
When the value drops, the counter either wrapped (``rollover_bits``) or was reset (a job change,
a PLC restart): if wrapping gives an increase the machine could have made in the time between
the samples, it wrapped; otherwise it was reset and the new value is what was made since (as
Flux's ``increase()`` does). A reset at an order change is expected; a drop at any other time is
a reset too, but is reported as an anomaly. An increase beyond what the machine could make in
the gap (:class:`Plausible`) is an anomaly left out of the counts: reported, never silently kept
or clipped. Without a limit, a wrap is assumed when the wrapped increase is under half the range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from smkit.oee.kernels import time_order
from smkit.plant.machine import Counter

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def _none() -> Int64s:
    return np.zeros(0, np.int64)


@dataclass(frozen=True)
class Increments:
    """Units credited at each time; and when anomalies happened (implausible increases, set
    aside, and unexpected resets) with the units each set aside."""

    ts: Int64s
    units: Int64s
    anomaly_ts: Int64s = field(default_factory=_none)
    anomaly_units: Int64s = field(default_factory=_none)

    @property
    def anomalies(self) -> int:
        """How many anomalies."""
        return len(self.anomaly_ts)

    @property
    def anomalous_units(self) -> int:
        """The units set aside as implausible."""
        return int(self.anomaly_units.sum())


@dataclass(frozen=True)
class Plausible:
    """The most a machine can count: ``units_per_ns`` over a gap, plus one cycle's ``burst``."""

    units_per_ns: float
    burst: int = 1

    def allows(self, units: Int64s, gap: Int64s) -> npt.NDArray[np.bool_]:
        """Whether each increase fits in its gap."""
        return np.asarray(units <= np.ceil(gap * self.units_per_ns) + self.burst, dtype=bool)


def increments(
    ts: Int64s,
    values: Int64s,
    counter: Counter,
    *,
    limit: Plausible | None = None,
    order_changes: Int64s | None = None,
) -> Increments:
    """Units made between consecutive samples (sorted by time; equal times keep the last)."""
    ts, values = _last_of_each_time(ts, values)
    if counter.kind == "delta":
        return _checked(ts, values, None, lambda: _gaps(ts, first=np.iinfo(np.int64).max), limit)
    if len(ts) < 2:
        return Increments(_none(), _none())
    later = values[1:]
    step = np.diff(values)
    dropped = step < 0
    if not dropped.any():
        if limit is None:  # every step is an increase, none to check
            return Increments(ts[1:], step)
        return _checked(ts[1:], step, None, lambda: np.diff(ts), limit)
    gaps = np.diff(ts)
    changed_order = _order_change_between(ts, order_changes)
    if counter.rollover_bits:
        wrapped = step + (1 << counter.rollover_bits)
        fits = (
            limit.allows(wrapped, gaps) if limit else wrapped < (1 << (counter.rollover_bits - 1))
        )
        rolled = dropped & fits & ~changed_order
        step = np.where(rolled, wrapped, step)
        dropped &= ~rolled
    step = np.where(dropped, later, step)
    expected = changed_order if counter.resets_on_order_change else np.zeros_like(dropped)
    return _checked(ts[1:], step, dropped & ~expected, lambda: gaps, limit)


def _last_of_each_time(ts: Int64s, values: Int64s) -> tuple[Int64s, Int64s]:
    """Samples sorted by time, equal times keeping the last."""
    order = time_order(ts)
    if order < 0:
        raise ValueError("counter samples must be sorted by time")
    if order > 0:
        return ts, values
    keep = np.append(ts[1:] != ts[:-1], True)
    return ts[keep], values[keep]


def _gaps(ts: Int64s, *, first: int) -> Int64s:
    """Time since the previous sample (``first`` for the first one)."""
    return np.diff(ts, prepend=ts[:1] - first) if len(ts) else ts


def _checked(
    ts: Int64s,
    units: Int64s,
    unexpected: npt.NDArray[np.bool_] | None,
    gaps: Callable[[], Int64s],
    limit: Plausible | None,
) -> Increments:
    """Negative and implausible increases are left out; unexpected resets are counted.

    The gaps between samples are computed only when a limit needs them.
    """
    bad = units < 0
    if limit is not None:
        bad |= ~limit.allows(units, gaps())
    flagged = bad if unexpected is None else bad | unexpected
    if not flagged.any():
        return Increments(ts, units)
    good = ~bad
    set_aside = np.where(bad, np.abs(units), 0)
    return Increments(ts[good], units[good], ts[flagged], set_aside[flagged])


def _order_change_between(ts: Int64s, order_changes: Int64s | None) -> npt.NDArray[np.bool_]:
    """For each pair of consecutive samples: did an order (product) change in (t0, t1]?"""
    if order_changes is None or len(order_changes) == 0:
        return np.zeros(max(0, len(ts) - 1), dtype=bool)
    before = np.searchsorted(order_changes, ts[:-1], side="right")
    upto = np.searchsorted(order_changes, ts[1:], side="right")
    return np.asarray(upto > before)
