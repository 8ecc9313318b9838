"""Planned production time of many periods as one sorted index, and the timeline cut by it.

Planned intervals are disjoint, so their bounds interleave (start, end, start, end, ...): an
instant lies inside one when it falls after an odd number of bounds. Both searches below use
that, which keeps the cost of placing anything in planned time one binary search per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smkit.plant.schedule import Interval

Int64s = npt.NDArray[np.int64]


class PlannedIndex:
    """All planned intervals of all periods, sorted: their bounds and whose they are."""

    def __init__(self, planned: Sequence[tuple[Interval, ...]]) -> None:
        pieces = sorted((a, b, n) for n, intervals in enumerate(planned) for a, b in intervals)
        self.start = np.array([a for a, _, _ in pieces], dtype=np.int64)
        self.end = np.array([b for _, b, _ in pieces], dtype=np.int64)
        self.period = np.array([n for _, _, n in pieces], dtype=np.int64)
        self.bounds = np.column_stack((self.start, self.end)).ravel()

    def at(self, ts: Int64s, *, closed_end: bool = False) -> Int64s:
        """The period whose planned time holds each instant, -1 if none.

        ``closed_end`` takes intervals as (start, end] (for counts) instead of [start, end).
        """
        if len(self.bounds) == 0:
            return np.full(len(ts), -1, dtype=np.int64)
        after = np.searchsorted(self.bounds, ts, side="left" if closed_end else "right")
        inside = (after & 1).astype(bool)
        return np.where(inside, self.period[np.minimum(after >> 1, len(self.period) - 1)], -1)


@dataclass(frozen=True)
class Cut:
    """A timeline's intervals cut at every planned bound: piece i is [left[i], left[i] + length[i]).

    ``source`` is the timeline interval a piece comes from; ``period`` the period whose planned
    time holds it (-1: none). Pieces of zero length may occur; they weigh nothing.
    """

    left: Int64s
    length: Int64s
    source: Int64s
    period: Int64s


def cut(starts: Int64s, end: int, planned: PlannedIndex) -> Cut:
    """Cut the contiguous intervals ``[starts[i], starts[i+1])`` (the last ends at ``end``).

    Every planned bound must lie within ``[starts[0], end]``. The bounds are inserted into the
    sorted starts (no sort of the whole); numbering them 1, 2, 3, ... in order, the largest
    number passed so far says which bound came last, odd for a start of a planned interval.
    """
    bounds = planned.bounds
    if len(bounds) == 0:
        nowhere = np.full(len(starts), -1, dtype=np.int64)
        return Cut(starts, np.diff(starts, append=end), np.arange(len(starts)), nowhere)
    if bounds[0] < starts[0] or bounds[-1] > end:
        raise ValueError("planned time outside the timeline")
    at = np.searchsorted(starts, bounds, side="right")
    left = np.insert(starts, at, bounds)
    source = np.insert(np.arange(len(starts), dtype=np.int64), at, at - 1)
    passed = np.maximum.accumulate(
        np.insert(np.zeros(len(starts), np.int64), at, np.arange(1, len(bounds) + 1))
    )
    inside = (passed & 1).astype(bool)
    period = np.where(inside, planned.period[np.maximum(passed - 1, 0) >> 1], -1)
    return Cut(left, np.diff(left, append=end), source, period)
