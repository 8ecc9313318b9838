"""Planned production time of many periods as one sorted index.

Planned intervals are disjoint, so their bounds interleave (start, end, start, end, ...): an
instant lies inside one when it falls after an odd number of bounds, which makes placing
anything in planned time one binary search per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import numpy.typing as npt

from smkit.plant.schedule import Interval

Int64s = npt.NDArray[np.int64]


class PlannedIndex:
    """All planned intervals of all periods, sorted: their bounds and whose they are."""

    def __init__(self, planned: Sequence[tuple[Interval, ...]]) -> None:
        flat = np.fromiter(chain.from_iterable(chain.from_iterable(planned)), np.int64)
        period = np.repeat(np.arange(len(planned), dtype=np.int64), [len(p) for p in planned])
        pairs = flat.reshape(-1, 2)
        if len(pairs) > 1 and (pairs[1:, 0] < pairs[:-1, 0]).any():
            order = np.argsort(pairs[:, 0], kind="stable")
            pairs, period = pairs[order], period[order]
        self.start, self.end = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
        self.period = period
        self.bounds = pairs.ravel()
        if (np.diff(self.bounds) < 0).any():
            raise ValueError("the planned intervals of the periods overlap")

    def at(self, ts: Int64s, *, closed_end: bool = False) -> Int64s:
        """The period whose planned time holds each instant, -1 if none.

        ``closed_end`` takes intervals as (start, end] (for counts) instead of [start, end).
        """
        if len(self.bounds) == 0:
            return np.full(len(ts), -1, dtype=np.int64)
        after = np.searchsorted(self.bounds, ts, side="left" if closed_end else "right")
        inside = (after & 1).astype(bool)
        return np.where(inside, self.period[np.minimum(after >> 1, len(self.period) - 1)], -1)
