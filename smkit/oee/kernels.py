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
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Int8s = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
_FOREVER = np.iinfo(np.int64).max


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


def class_stops(starts: Int64s, end: int, kinds: Int8s, codes: tuple[int, int, int],
                threshold_ns: int) -> None:  # fmt: skip
    """Each run of consecutive ``stop`` intervals becomes ``small`` when the whole run lasts at
    most ``threshold_ns``, ``long`` otherwise (``codes`` is ``(stop, small, long)``), in place.

    The intervals are ``[starts[i], starts[i+1])``, the last ending at ``end``.
    """
    _compiled(_class_stops)(starts, end, kinds, *codes, threshold_ns)


class PlannedSums(NamedTuple):
    """What one walk of a timeline against the periods gives, per period."""

    by_class: Int64s  # (periods, classes): nanoseconds of each class in planned time
    failures: Int64s  # (periods, 2): failures beginning in planned time, their whole length
    running: Int64s  # running nanoseconds in the whole period, planned or not
    entry_period: Int64s  # downtime entries (period, label, nanoseconds), by period,
    entry_label: Int64s  # one per label a period has
    entry_ns: Int64s


def planned_sums(  # noqa: PLR0917 - the timeline, the periods and the classes, each needed
    timeline: tuple[Int64s, int, Int8s, Int32s],
    class_labels: Int64s,
    planned: tuple[Int64s, Int64s, Int64s],
    windows: tuple[Int64s, Int64s],
    label_count: int,
    classes: tuple[Bools, int, int],
) -> PlannedSums:
    """Time of each class and of each downtime label in each period's planned time, the
    failures that begin in it, and the running time of the whole period.

    The timeline is ``(starts, end, kinds, reasons)``: the contiguous intervals ``[starts[i],
    starts[i+1])`` (the last ends at ``end``) with a class and a reason each. A downtime
    interval's label is its reason, or ``class_labels[kind]`` when it has none (reason 0).
    ``planned`` is the planned intervals (start, end, period), sorted and disjoint, and
    ``windows`` the periods' (starts, ends), sorted and disjoint, each holding its planned
    intervals. ``classes`` is ``(is_down, failure, running)``: which classes are downtime, the
    class whose runs of consecutive intervals are failures (-1: none), and the running class.
    """
    return PlannedSums(
        *_compiled(_planned_sums)(*timeline, class_labels, *planned, *windows, label_count,
                                  *classes)
    )  # fmt: skip


def counter_increments(  # noqa: PLR0917 - the samples and the counter's rules, each needed
    ts: Int64s,
    values: Int64s,
    delta: bool,
    wrap: int,
    limit: tuple[float, int],
    order_changes: Int64s,
    resets_expected: bool,
) -> tuple[bool, Int64s, Int64s, int, Int64s, Int64s]:
    """A counter's samples as units credited: ``(in_order, ts, running, base, anomaly_ts,
    anomaly_units)``, where ``running[k] - base`` units are credited up to and including
    ``ts[k]``; ``in_order`` is False (and the rest empty) when a time goes back.

    Of samples at one time the last counts. A delta counter credits each value; a cumulative
    one its increase over the previous sample. A drop is a wrap (``wrap`` is the counter's
    range, 0 for none) when no order changed in the gap and the wrapped increase fits,
    otherwise a reset crediting the new value, an anomaly unless an order changed and
    ``resets_expected``. ``limit`` is (units per ns, burst); a negative rate means none: an
    increase above ``ceil(gap * rate) + burst``, or below zero, is set aside as an anomaly.

    A cumulative counter that only rose, within the limit, at strictly increasing times is
    its own running total: its arrays are returned as views (base: its first value), with no
    array the size of the samples allocated (allocating one costs more than the loop on it).
    """
    if not delta and len(ts) and _compiled(_only_rises)(ts, values, *limit):
        none = ts[:0]
        return True, ts[1:], values[1:], int(values[0]), none, none
    in_order, credited_ts, running, odd_ts, odd_units = _compiled(_counter_increments)(
        ts, values, delta, wrap, *limit, order_changes, resets_expected
    )
    return bool(in_order), credited_ts, running, 0, odd_ts, odd_units


def upto(ts: Int64s, points: Int64s) -> Int64s:
    """How many of ``ts`` (sorted) are at or before each point: ``np.searchsorted(ts, points,
    side="right")``, searched onwards from the previous point's place (points are sorted, as a
    report's are, most often: then a point costs a few steps near the last, not a binary
    search of the whole array)."""
    return cast(Int64s, _compiled(_upto)(ts, points))


def runs_of(starts: Int64s, end: int, kinds: Int8s, kind: int) -> tuple[Int64s, Int64s]:
    """Start and end of each run of consecutive intervals of class ``kind`` (the intervals
    ``[starts[i], starts[i+1])``, the last ending at ``end``)."""
    return cast(tuple[Int64s, Int64s], _compiled(_runs_of)(starts, end, kinds, kind))


def prepare() -> None:
    """Compile (or load from the disk cache) every loop now, for the types the engine uses,
    rather than on the first machine computed."""
    ts, none = np.zeros(2, np.int64), np.zeros(0, np.int64)
    kinds = np.zeros(2, np.int8)
    states_in_window((ts, kinds, np.zeros(2, np.int32)), (0, 1), np.zeros((1, 1), np.int8), 0)
    class_stops(ts, 2, kinds, (0, 1, 2), 0)
    planned_sums((ts, 0, kinds, np.zeros(2, np.int32)), ts, (none, none, none), (ts, ts), 1,
                 (np.zeros(1, np.bool_), 0, 0))  # fmt: skip
    upto(ts, ts)
    runs_of(ts, 2, kinds, 0)
    counter_increments(ts, ts, False, 0, (-1.0, 0), none, False)
    counter_increments(ts, ts[::-1].copy(), True, 0, (-1.0, 0), none, False)


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


def _only_rises(ts: Any, values: Any, rate: float, burst: int) -> bool:
    for i in range(1, len(ts)):
        step = values[i] - values[i - 1]
        if ts[i] <= ts[i - 1] or step < 0:
            return False
        if rate >= 0 and step > np.ceil((ts[i] - ts[i - 1]) * rate) + burst:
            return False
    return True


def _counter_increments(  # noqa: PLR0917 - compiled: numba takes positional arguments
    ts: Any, values: Any, delta: bool, wrap: int, rate: float, burst: int, changes: Any,
    resets_expected: bool,
) -> Any:  # fmt: skip
    n = len(ts)
    out_ts, out_running = np.empty(n, np.int64), np.empty(n, np.int64)
    odd_ts, odd_units = np.empty(n, np.int64), np.empty(n, np.int64)
    credited, odd, total, change = 0, 0, 0, 0
    previous_ts, previous_value, started = 0, 0, False
    for i in range(n):
        if i + 1 < n and ts[i + 1] <= ts[i]:
            if ts[i + 1] < ts[i]:
                return False, out_ts[:0], out_running[:0], odd_ts[:0], odd_units[:0]
            continue  # a later sample at the same time replaces this one
        now, value, unexpected = ts[i], values[i], False
        gap = now - previous_ts if started else _FOREVER
        step = value if delta or not started else value - previous_value
        if not delta and started and step < 0:
            while change < len(changes) and changes[change] <= previous_ts:
                change += 1
            changed = change < len(changes) and changes[change] <= now
            wrapped = step + wrap
            fits = wrapped <= np.ceil(gap * rate) + burst if rate >= 0 else wrapped < wrap // 2
            if wrap and fits and not changed:
                step = wrapped
            else:
                step, unexpected = value, not (changed and resets_expected)
        first, previous_ts, previous_value, started = not started, now, value, True
        if first and not delta:
            continue  # a cumulative counter's first sample is where it starts from
        bad = step < 0 or (rate >= 0 and step > np.ceil(gap * rate) + burst)
        if bad or unexpected:
            odd_ts[odd], odd_units[odd] = now, abs(step) if bad else 0
            odd += 1
        if not bad:
            total += step
            out_ts[credited], out_running[credited] = now, total
            credited += 1
    return (True, out_ts[:credited], out_running[:credited], odd_ts[:odd],
            odd_units[:odd])  # fmt: skip


def _upto(ts: Any, points: Any) -> Any:
    out = np.empty(len(points), np.int64)
    k = 0  # ts[:k] are at or before the previous point
    for i in range(len(points)):
        point = points[i]
        if i and point < points[i - 1]:
            k = 0  # out of order: search from the start
        if k < len(ts) and ts[k] <= point:
            step = 1  # gallop: ts[k] <= point; find an index beyond it, then bisect
            while k + step < len(ts) and ts[k + step] <= point:
                k += step
                step *= 2
            low, high = k + 1, min(k + step, len(ts))
            while low < high:
                middle = (low + high) // 2
                if ts[middle] <= point:
                    low = middle + 1
                else:
                    high = middle
            k = low
        out[i] = k
    return out


def _runs_of(starts: Any, end: int, kinds: Any, kind: int) -> Any:
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
        run_ends[count] = starts[i] if i < len(starts) else end
        count += 1
    return run_starts[:count], run_ends[:count]


def _class_stops(  # noqa: PLR0917 - compiled: numba takes positional arguments
    starts: Any, end: int, kinds: Any, stop: int, small: int, long: int, threshold_ns: int
) -> None:
    i = 0
    while i < len(kinds):
        if kinds[i] != stop:
            i += 1
            continue
        j = i + 1
        while j < len(kinds) and kinds[j] == stop:
            j += 1
        stop_end = starts[j] if j < len(starts) else end
        kinds[i:j] = small if stop_end - starts[i] <= threshold_ns else long
        i = j


def _planned_sums(  # noqa: PLR0915, PLR0917 - one walk, helpers inside; numba: positional
    starts: Any, end: int, kinds: Any, reasons: Any, class_labels: Any,
    planned_start: Any, planned_end: Any, planned_period: Any, window_start: Any,
    window_end: Any, label_count: int, is_down: Any, failure: int, running: int,
) -> Any:  # fmt: skip
    periods, n = len(window_start), len(starts)
    by_class = np.zeros((periods, len(is_down)), np.int64)
    failures = np.zeros((periods, 2), np.int64)
    running_in = np.zeros(periods, np.int64)
    entry_period = np.empty(n + len(planned_start), np.int64)
    entry_label = np.empty_like(entry_period)
    entry_ns = np.empty_like(entry_period)
    scratch = np.zeros(label_count, np.int64)  # the current period's time per label
    seen = np.empty(label_count, np.int64)  # the labels it has, in order of appearance
    entries, i, j = 0, 0, 0
    ran = 0  # running time of the intervals before interval i

    def advance(i: int, ran: int, t: int) -> tuple[int, int]:
        """On to the interval holding ``t``, adding the running time of those passed."""
        while i + 1 < n and starts[i + 1] <= t:
            ran += starts[i + 1] - starts[i] if kinds[i] == running else 0
            i += 1
        return i, ran

    def run_end(i: int) -> int:
        """Where the run of intervals of ``kinds[i]`` that ``i`` is in ends."""
        k = i + 1
        while k < n and kinds[k] == kinds[i]:
            k += 1
        return int(starts[k]) if k < n else end

    def ran_until(i: int, ran: int, t: int) -> int:
        """Running time before ``t``, in interval ``i``."""
        return ran + (t - starts[i] if kinds[i] == running else 0)

    for period in range(periods):
        i, ran = advance(i, ran, window_start[period])
        ran_before = ran_until(i, ran, window_start[period])
        seen_count = 0
        while j < len(planned_start) and planned_period[j] == period:
            a, b = planned_start[j], planned_end[j]
            i, ran = advance(i, ran, a)
            while starts[i] < b:
                right = starts[i + 1] if i + 1 < n else end
                overlap = min(right, b) - max(starts[i], a)
                if overlap > 0:
                    by_class[period, kinds[i]] += overlap
                    if is_down[kinds[i]]:
                        label = reasons[i] if reasons[i] > 0 else class_labels[kinds[i]]
                        if scratch[label] == 0:
                            seen[seen_count] = label
                            seen_count += 1
                        scratch[label] += overlap
                    if (
                        kinds[i] == failure
                        and a <= starts[i]
                        and (i == 0 or kinds[i - 1] != failure)
                    ):
                        failures[period, 0] += 1  # a failure begins: its whole length counts
                        failures[period, 1] += run_end(i) - starts[i]
                if right > b or i + 1 == n:
                    break
                ran += right - starts[i] if kinds[i] == running else 0
                i += 1
            j += 1
        i, ran = advance(i, ran, window_end[period])
        running_in[period] = ran_until(i, ran, window_end[period]) - ran_before
        for k in range(seen_count):  # the period is complete: its labels become entries
            label = seen[k]
            entry_period[entries], entry_label[entries] = period, label
            entry_ns[entries], scratch[label] = scratch[label], 0
            entries += 1
    return (by_class, failures, running_in, entry_period[:entries], entry_label[:entries],
            entry_ns[:entries])  # fmt: skip
