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
A 64-bit counter is taken never to wrap (its values are stored as signed 64-bit integers).

The units are kept as a running total, so the units between any two instants are one
difference (a year of a machine is half a million samples; a report asks for thousands of
sums). A cumulative counter that only rose, within the limit, is its own running total: its
samples are used as they are, not copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from smkit.oee.kernels import counter_increments, upto
from smkit.plant.machine import Counter

Int64s = npt.NDArray[np.int64]
_WRAPS_BELOW = 63  # a range of 2**63 or more does not fit in int64: such counters never wrap


def _none() -> Int64s:
    return np.zeros(0, np.int64)


@dataclass(frozen=True)
class Increments:
    """Units credited over time: ``running[k] - base`` units up to and including ``ts[k]``;
    and when anomalies happened (implausible increases, set aside, and unexpected resets) with
    the units each set aside."""

    ts: Int64s
    running: Int64s
    base: int = 0
    anomaly_ts: Int64s = field(default_factory=_none)
    anomaly_units: Int64s = field(default_factory=_none)

    @classmethod
    def of(cls, ts: Int64s, units: Int64s) -> Increments:
        """``units[k]`` credited at ``ts[k]`` (sorted by time)."""
        return cls(ts, np.cumsum(units, dtype=np.int64))

    @property
    def units(self) -> Int64s:
        """The units credited at each time."""
        return np.diff(self.running, prepend=self.base)

    @property
    def anomalies(self) -> int:
        """How many anomalies."""
        return len(self.anomaly_ts)

    @property
    def anomalous_units(self) -> int:
        """The units set aside as implausible."""
        return int(self.anomaly_units.sum())

    def within(self, points: Int64s) -> Int64s:
        """Units credited in each ``(points[i], points[i+1]]`` (``points`` sorted)."""
        if len(self.ts) == 0:
            return np.zeros(max(len(points) - 1, 0), np.int64)
        counted = upto(self.ts, points)  # samples at or before each point
        so_far = np.where(counted > 0, self.running[np.maximum(counted - 1, 0)], self.base)
        return np.diff(so_far)


@dataclass(frozen=True)
class Plausible:
    """The most a machine can count: ``units_per_ns`` over a gap, plus one cycle's ``burst``."""

    units_per_ns: float
    burst: int = 1


def increments(
    ts: Int64s,
    values: Int64s,
    counter: Counter,
    *,
    limit: Plausible | None = None,
    order_changes: Int64s | None = None,
) -> Increments:
    """Units made between consecutive samples (sorted by time; equal times keep the last)."""
    bits = counter.rollover_bits
    in_order, credited_ts, running, base, anomaly_ts, anomaly_units = counter_increments(
        np.asarray(ts, np.int64),
        np.asarray(values, np.int64),
        counter.kind == "delta",
        1 << bits if bits and bits < _WRAPS_BELOW else 0,
        (limit.units_per_ns, limit.burst) if limit else (-1.0, 0),
        _none() if order_changes is None else np.asarray(order_changes, np.int64),
        counter.resets_on_order_change,
    )
    if not in_order:
        raise ValueError("counter samples must be sorted by time")
    return Increments(credited_ts, running, base, anomaly_ts, anomaly_units)
