"""The engine's hot loops, compiled with numba.

Each is a plain loop over a machine's state intervals or counter samples (a year of a machine
is some 175,000 state changes and 525,000 samples per counter). numpy can express them too, but
only as several passes over the arrays, each allocating a temporary; the loops make one pass and
allocate only their results (``benchmarks/oee_engine.py`` measures the whole engine).

They are compiled on first use, not at import, because importing numba takes about half a
second that commands computing no OEE should not pay; the compiled code is cached on disk
(``cache=True``), so a later process only loads it.

The loop bodies stay plain Python with integer arithmetic: exact, and readable as the
definition of what they compute. ``tests/oee/test_kernels.py`` checks them against simpler
definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Int8s = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]


def states_in_window(
    changes: tuple[Int64s, Int8s, Int32s], window: tuple[int, int], table: Int8s, unknown: int
) -> tuple[Int64s, Int8s, Int32s]:
    """The state changes ``(ts, category, reason)`` (sorted) as intervals of ``window``:
    start, class (``table[category, reason]``) and reason of each.

    The first interval starts at the window's start, in the state then in effect (category
    ``unknown`` before any change). Of several changes at one time the last counts, and a
    change that repeats the state in effect starts no new interval.
    """
    return cast(
        tuple[Int64s, Int8s, Int32s],
        _compiled(_states_in_window)(*changes, *window, table, unknown),
    )


def class_stops(starts: Int64s, ends: Int64s, kinds: Int8s, codes: tuple[int, int, int],
                threshold_ns: int) -> None:  # fmt: skip
    """Each run of consecutive ``stop`` intervals becomes ``small`` when the whole run lasts at
    most ``threshold_ns``, ``long`` otherwise (``codes`` is ``(stop, small, long)``), in place."""
    _compiled(_class_stops)(starts, ends, kinds, *codes, threshold_ns)


def planned_sums(  # noqa: PLR0917 - the timeline and the planned index, each needed
    starts: Int64s,
    end: int,
    kinds: Int8s,
    labels: Int64s,
    planned: tuple[Int64s, Int64s, Int64s],
    shape: tuple[int, int, int],
    is_down: Bools,
) -> tuple[Int64s, Int64s, Int64s, Int64s]:
    """Time of each class and of each downtime label in each period's planned time.

    The timeline is the contiguous intervals ``[starts[i], starts[i+1])`` (the last ends at
    ``end``) with a class and a label each; ``planned`` is the planned intervals (start, end,
    period), sorted and disjoint; ``shape`` is (periods, classes, labels). Returns the
    nanoseconds per period and class, and the downtime (classes where ``is_down``) as entries
    (period, label, nanoseconds), one per label a period has.
    """
    return cast(
        tuple[Int64s, Int64s, Int64s, Int64s],
        _compiled(_planned_sums)(starts, end, kinds, labels, *planned, *shape, is_down),
    )


def sums_between(ts: Int64s, units: Int64s, points: Int64s) -> Int64s:
    """Units credited in each ``(points[i], points[i+1]]``: ``units[k]`` at ``ts[k]``, both
    sorted by time, as are ``points``."""
    return cast(Int64s, _compiled(_sums_between)(ts, units, points))


def runs_of(starts: Int64s, ends: Int64s, kinds: Int8s, kind: int) -> tuple[Int64s, Int64s]:
    """Start and end of each run of consecutive intervals of class ``kind``."""
    return cast(tuple[Int64s, Int64s], _compiled(_runs_of)(starts, ends, kinds, kind))


def time_order(ts: Int64s) -> int:
    """1 when ``ts`` increases strictly, 0 when it repeats a time but never decreases, -1 when
    it decreases somewhere."""
    return int(_compiled(_time_order)(ts))


def prepare() -> None:
    """Compile (or load from the disk cache) every loop now, for the types the engine uses,
    rather than on the first machine computed."""
    ts, none = np.zeros(2, np.int64), np.zeros(0, np.int64)
    kinds = np.zeros(2, np.int8)
    states_in_window((ts, kinds, np.zeros(2, np.int32)), (0, 1), np.zeros((1, 1), np.int8), 0)
    class_stops(ts, ts, kinds, (0, 1, 2), 0)
    planned_sums(ts, 0, kinds, ts, (none, none, none), (0, 1, 1), np.zeros(1, np.bool_))
    sums_between(ts, ts, ts)
    runs_of(ts, ts, kinds, 0)
    time_order(ts)


@cache
def _compiled(function: Callable[..., Any]) -> Callable[..., Any]:
    import numba  # noqa: PLC0415 - see the module docstring

    return cast(Callable[..., Any], numba.njit(cache=True, nogil=True)(function))


def _states_in_window(  # noqa: PLR0917 - compiled: numba takes positional arguments
    ts: Any, category: Any, reason: Any, begin: int, end: int, table: Any, unknown: int
) -> Any:
    starts = np.empty(len(ts) + 1, np.int64)
    kinds = np.empty(len(ts) + 1, np.int8)
    codes = np.empty(len(ts) + 1, np.int32)
    state, code, i = unknown, 0, 0
    while i < len(ts) and ts[i] <= begin:
        state, code, i = category[i], reason[i], i + 1
    starts[0], kinds[0], codes[0] = begin, table[state, code], code
    count = 1
    while i < len(ts) and ts[i] < end:
        last_at_time = i + 1 == len(ts) or ts[i + 1] != ts[i]
        if last_at_time and (category[i] != state or reason[i] != code):
            state, code = category[i], reason[i]
            starts[count], kinds[count], codes[count] = ts[i], table[state, code], code
            count += 1
        i += 1
    return starts[:count], kinds[:count], codes[:count]


def _time_order(ts: Any) -> int:
    order = 1
    for k in range(1, len(ts)):
        if ts[k] < ts[k - 1]:
            return -1
        if ts[k] == ts[k - 1]:
            order = 0
    return order


def _sums_between(ts: Any, units: Any, points: Any) -> Any:
    sums = np.zeros(max(len(points) - 1, 0), np.int64)
    k = 0
    for i in range(len(points) - 1):
        while k < len(ts) and ts[k] <= points[i]:
            k += 1
        while k < len(ts) and ts[k] <= points[i + 1]:
            sums[i] += units[k]
            k += 1
    return sums


def _runs_of(starts: Any, ends: Any, kinds: Any, kind: int) -> Any:
    run_starts = np.empty(len(kinds), np.int64)
    run_ends = np.empty(len(kinds), np.int64)
    count, i = 0, 0
    while i < len(kinds):
        if kinds[i] != kind:
            i += 1
            continue
        run_starts[count] = starts[i]
        while i < len(kinds) and kinds[i] == kind:
            i += 1
        run_ends[count] = ends[i - 1]
        count += 1
    return run_starts[:count], run_ends[:count]


def _class_stops(  # noqa: PLR0917 - compiled: numba takes positional arguments
    starts: Any, ends: Any, kinds: Any, stop: int, small: int, long: int, threshold_ns: int
) -> None:
    i = 0
    while i < len(kinds):
        if kinds[i] != stop:
            i += 1
            continue
        j = i
        while j < len(kinds) and kinds[j] == stop:
            j += 1
        kinds[i:j] = small if ends[j - 1] - starts[i] <= threshold_ns else long
        i = j


def _planned_sums(  # noqa: PLR0917 - compiled: numba takes positional arguments
    starts: Any, end: int, kinds: Any, labels: Any,
    planned_start: Any, planned_end: Any, planned_period: Any,
    periods: int, classes: int, label_count: int, is_down: Any,
) -> Any:  # fmt: skip
    by_class = np.zeros((periods, classes), np.int64)
    entry_period = np.empty(len(starts) + len(planned_start), np.int64)
    entry_label = np.empty_like(entry_period)
    entry_ns = np.empty_like(entry_period)
    scratch = np.zeros(label_count, np.int64)  # the current period's time per label
    seen = np.empty(label_count, np.int64)  # the labels it has, in order of appearance
    seen_count, entries, current, i = 0, 0, -1, 0
    for j in range(len(planned_start)):
        a, b, period = planned_start[j], planned_end[j], planned_period[j]
        if period != current:  # the previous period is complete: its labels become entries
            for k in range(seen_count):
                label = seen[k]
                entry_period[entries], entry_label[entries] = current, label
                entry_ns[entries], scratch[label] = scratch[label], 0
                entries += 1
            seen_count, current = 0, period
        while i + 1 < len(starts) and starts[i + 1] <= a:
            i += 1
        while i < len(starts) and starts[i] < b:
            right = starts[i + 1] if i + 1 < len(starts) else end
            overlap = min(right, b) - max(starts[i], a)
            if overlap > 0:
                by_class[period, kinds[i]] += overlap
                if is_down[kinds[i]]:
                    label = labels[i]
                    if scratch[label] == 0:
                        seen[seen_count] = label
                        seen_count += 1
                    scratch[label] += overlap
            if right > b:
                break
            i += 1
        i = min(i, len(starts) - 1)
    for k in range(seen_count):
        label = seen[k]
        entry_period[entries], entry_label[entries] = current, label
        entry_ns[entries] = scratch[label]
        entries += 1
    return by_class, entry_period[:entries], entry_label[:entries], entry_ns[:entries]
