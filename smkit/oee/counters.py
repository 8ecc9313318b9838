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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smkit.plant.machine import Counter

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Increments:
    """Units credited at each time, and the increases set aside as implausible."""

    ts: Int64s
    units: Int64s
    anomalies: int = 0
    anomalous_units: int = 0


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
    gaps = np.diff(ts)
    if (gaps < 0).any():
        raise ValueError("counter samples must be sorted by time")
    if (gaps == 0).any():
        keep = np.append(gaps != 0, True)
        ts, values, gaps = ts[keep], values[keep], np.diff(ts[keep])
    if counter.kind == "delta":
        gaps = np.diff(ts, prepend=np.iinfo(np.int64).min // 2)
        return _checked(ts, values, np.zeros(len(ts), dtype=bool), gaps, limit)
    if len(ts) < 2:
        return Increments(np.zeros(0, np.int64), np.zeros(0, np.int64))
    later = values[1:]
    step = np.diff(values)
    dropped = step < 0
    if not dropped.any():
        return _checked(ts[1:], step, dropped, gaps, limit)
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
    return _checked(ts[1:], step, dropped & ~expected, gaps, limit)


def _checked(
    ts: Int64s,
    units: Int64s,
    unexpected: npt.NDArray[np.bool_],
    gaps: Int64s,
    limit: Plausible | None,
) -> Increments:
    """Negative and implausible increases are left out; unexpected resets are counted."""
    bad = units < 0
    if limit is not None:
        bad |= ~limit.allows(units, gaps)
    if not bad.any():
        return Increments(ts, units, int(unexpected.sum()), 0)
    good = ~bad
    return Increments(
        ts[good],
        units[good],
        int(bad.sum() + (unexpected & good).sum()),
        int(np.abs(units[bad]).sum()),
    )


def _order_change_between(ts: Int64s, order_changes: Int64s | None) -> npt.NDArray[np.bool_]:
    """For each pair of consecutive samples: did an order (product) change in (t0, t1]?"""
    if order_changes is None or len(order_changes) == 0:
        return np.zeros(max(0, len(ts) - 1), dtype=bool)
    before = np.searchsorted(order_changes, ts[:-1], side="right")
    upto = np.searchsorted(order_changes, ts[1:], side="right")
    return np.asarray(upto > before)
