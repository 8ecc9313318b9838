"""The downtime events of one machine: each stop with its start, end, class and reason (pure).

Built from the same classified timeline as the time elements, so a stop here is exactly what
the elements count: consecutive intervals of one class and one reason are one event; running
intervals are none. An event is listed when it overlaps planned time inside the window, with
its planned part (``planned_ns``, what it cost) and its whole length, which may reach outside
the window: a stop measured to its end is what an operator gives a reason to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smkit.oee.timeline import BREAKDOWN, CLASS_NAMES, RUN, Timeline

Int64s = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Stop:
    """One downtime event. ``open_start``: it was already going where the data read begins;
    ``open_end``: it is still going at the horizon (its end is "now")."""

    start_ns: int
    end_ns: int
    planned_ns: int
    kind: str
    reason: str
    is_failure: bool
    open_start: bool
    open_end: bool
    reason_source: str = "machine"
    """Where the reason came from: ``machine``, ``operator`` (a person's entry gave or changed
    it), or ``none`` (no reason)."""

    @property
    def length_ns(self) -> int:
        """Its whole length, planned or not."""
        return self.end_ns - self.start_ns


def stops(
    line: Timeline, planned: Sequence[tuple[int, int]], window: tuple[int, int]
) -> list[Stop]:
    """The stops of ``line`` overlapping the planned intervals (sorted, disjoint) in ``window``."""
    if len(line.start) == 0:
        return []
    first = np.ones(len(line.start), dtype=bool)
    first[1:] = (line.kind[1:] != line.kind[:-1]) | (line.reason[1:] != line.reason[:-1])
    index = np.flatnonzero(first)
    starts = line.start[index]
    ends = np.append(starts[1:], line.end)
    kinds, reasons = line.kind[index], line.reason[index]
    begin, end = window
    planned_ns = _planned_in(planned, np.maximum(starts, begin), np.minimum(ends, end))
    keep = np.flatnonzero((kinds != RUN) & (planned_ns > 0))
    last = len(starts) - 1
    return [
        Stop(start_ns=int(starts[i]), end_ns=int(ends[i]), planned_ns=int(planned_ns[i]),
             kind=CLASS_NAMES[kinds[i]], reason=line.reason_names[reasons[i]],
             is_failure=bool(kinds[i] == BREAKDOWN), open_start=i == 0, open_end=i == last)
        for i in keep.tolist()
    ]  # fmt: skip


def _planned_in(planned: Sequence[tuple[int, int]], starts: Int64s, ends: Int64s) -> Int64s:
    """Planned time in each ``[starts[i], ends[i])`` (empty where ``ends <= starts``)."""
    if not planned:
        return np.zeros(len(starts), dtype=np.int64)
    bounds = np.array(planned, dtype=np.int64)
    before = np.concatenate(([0], np.cumsum(bounds[:, 1] - bounds[:, 0])))

    def upto(moment: Int64s) -> Int64s:
        """Planned time before each moment."""
        at = np.searchsorted(bounds[:, 0], moment, side="right") - 1
        inside = np.clip(moment - bounds[np.maximum(at, 0), 0], 0, None)
        length = bounds[np.maximum(at, 0), 1] - bounds[np.maximum(at, 0), 0]
        partial = np.where(at >= 0, np.minimum(inside, length), 0)
        return np.where(at >= 0, before[np.maximum(at, 0)], 0) + partial

    return np.where(ends > starts, upto(ends) - upto(np.minimum(starts, ends)), 0)


def sourced(found: Sequence[Stop], machine_only: Sequence[Stop]) -> list[Stop]:
    """``found`` with each stop's reason source, by comparing it with the stops of the same
    timeline without people's entries (``machine_only``): a piece whose reason differs from the
    machine's own there, or which exists only because an entry split a stop, is ``operator``."""
    own = {stop.start_ns: stop.reason for stop in machine_only}
    return [dataclasses.replace(stop, reason_source="operator" if own.get(stop.start_ns)
                                != stop.reason else ("machine" if stop.reason else "none"))
            for stop in found]  # fmt: skip
