"""A signal reduced to at most N buckets for a chart: per bucket its first time, minimum,
maximum and last value, so spikes survive the reduction (a mean would hide them).

Buckets divide the window evenly; empty buckets are left out. Values that are not numbers
(states, order ids) keep only their last value per bucket; bad samples (no value) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smkit.core.columns import Column, Int64s
from smkit.core.sample import Value


@dataclass(frozen=True)
class Reduced:
    """One row per non-empty bucket: the time of its first sample, min, max and last value
    (min and max are None for values that are not numbers), and how many samples it holds."""

    ts: list[int]
    minimum: list[float | None]
    maximum: list[float | None]
    last: list[Value]
    count: list[int]


def reduce(column: Column, start_ns: int, end_ns: int, buckets: int) -> Reduced:
    """The samples of [start_ns, end_ns) in at most ``buckets`` buckets."""
    inside = (column.ts >= start_ns) & (column.ts < end_ns)
    keep = np.flatnonzero(inside & np.array([v is not None for v in column.values], dtype=bool))
    if not len(keep):
        return Reduced([], [], [], [], [])
    ts = column.ts[keep]
    values = [column.values[i] for i in keep.tolist()]
    bucket = ((ts - start_ns) * buckets // (end_ns - start_ns)).astype(np.int64)
    first = np.flatnonzero(np.diff(bucket, prepend=-1))
    last = np.append(first[1:], len(ts)) - 1
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric:
        numbers = np.array(values, dtype=np.float64)
        low = np.minimum.reduceat(numbers, first).tolist()
        high = np.maximum.reduceat(numbers, first).tolist()
    else:
        low = high = [None] * len(first)
    return Reduced(_ints(ts[first]), low, high, [values[i] for i in last.tolist()],
                   _ints(last - first + 1))  # fmt: skip


def _ints(array: Int64s) -> list[int]:
    return [int(x) for x in array.tolist()]
