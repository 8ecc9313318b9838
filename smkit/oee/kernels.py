"""The engine's inner steps over a machine's state intervals and counter samples, in numpy.

Each is written as whole-array operations (sorted searches, cumulative sums, masks) rather than
a loop, with integer arithmetic throughout: exact. They were loops compiled with numba until
issue #16 measured what that cost every command: half a second to import numba and set up its
compiler before the first loop ran, more than a day of a 50-machine plant takes to read.

``tests/oee/test_kernels.py`` checks each against a plain definition of what it computes.
"""

from __future__ import annotations

from typing import NamedTuple

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
    ts, category, reason = changes
    begin, end = window
    first = int(np.searchsorted(ts, begin, side="right"))
    last = int(np.searchsorted(ts, end, side="left"))
    later = ts[first + 1 : last + 1]
    final = np.ones(last - first, np.bool_)  # the last change at its time
    final[: len(later)] = later != ts[first : first + len(later)]
    state = np.empty(last - first + 1, category.dtype)
    code = np.empty(last - first + 1, reason.dtype)
    state[0], code[0] = (category[first - 1], reason[first - 1]) if first else (unknown, 0)
    state[1:], code[1:] = category[first:last], reason[first:last]
    keep = np.concatenate(([True], final))
    state, code = state[keep], code[keep]
    starts = np.concatenate(([begin], ts[first:last][final])).astype(np.int64)
    new = np.ones(len(state), np.bool_)
    new[1:] = (state[1:] != state[:-1]) | (code[1:] != code[:-1])
    state, code = state[new], code[new]
    return starts[new], table[state, code].astype(np.int8), code.astype(np.int32)


def _runs(mask: Bools, starts: Int64s, end: int) -> tuple[Int64s, Int64s, Int64s]:
    """Each run of consecutive intervals where ``mask`` holds: its first interval, the one
    after its last, and the time it ends."""
    before = np.concatenate(([False], mask[:-1]))
    after = np.concatenate((mask[1:], [False]))
    first = np.flatnonzero(mask & ~before)
    following = np.flatnonzero(mask & ~after) + 1
    ends = np.where(following < len(starts), starts[np.minimum(following, len(starts) - 1)], end)
    return first, following, ends.astype(np.int64)


def class_stops(starts: Int64s, end: int, kinds: Int8s, codes: tuple[int, int, int],
                threshold_ns: int) -> None:  # fmt: skip
    """Each run of consecutive ``stop`` intervals becomes ``small`` when the whole run lasts at
    most ``threshold_ns``, ``long`` otherwise (``codes`` is ``(stop, small, long)``), in place.

    The intervals are ``[starts[i], starts[i+1])``, the last ending at ``end``.
    """
    stop, small, long = codes
    is_stop = kinds == stop
    if not is_stop.any():
        return
    first, _, ends = _runs(is_stop, starts, end)
    whole = np.where(ends - starts[first] <= threshold_ns, small, long).astype(kinds.dtype)
    run = np.cumsum(np.isin(np.arange(len(kinds)), first)) - 1
    kinds[is_stop] = whole[run[is_stop]]


def runs_of(starts: Int64s, end: int, kinds: Int8s, kind: int) -> tuple[Int64s, Int64s]:
    """Start and end of each run of consecutive intervals of class ``kind`` (the intervals
    ``[starts[i], starts[i+1])``, the last ending at ``end``)."""
    first, _, ends = _runs(kinds == kind, starts, end)
    return starts[first], ends


def upto(ts: Int64s, points: Int64s) -> Int64s:
    """How many of ``ts`` (sorted) are at or before each point."""
    return np.searchsorted(ts, points, side="right").astype(np.int64)


class PlannedSums(NamedTuple):
    """What one walk of a timeline against the periods gives, per period."""

    by_class: Int64s  # (periods, classes): nanoseconds of each class in planned time
    failures: Int64s  # (periods, 2): failures beginning in planned time, their whole length
    running: Int64s  # running nanoseconds in the whole period, planned or not
    entry_period: Int64s  # downtime entries (period, label, nanoseconds), by period,
    entry_label: Int64s  # one per label a period has, in the order the period meets them
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
    starts, end, kinds, reasons = timeline
    is_down, failure, running = classes
    periods = len(windows[0])
    pieces = _pieces(starts, end, planned)
    by_class = np.zeros((periods, len(is_down)), np.int64)
    np.add.at(by_class, (pieces.period, kinds[pieces.interval]), pieces.ns)
    down = is_down[kinds[pieces.interval]]
    interval, period, ns = pieces.interval[down], pieces.period[down], pieces.ns[down]
    label = np.where(reasons[interval] > 0, reasons[interval], class_labels[kinds[interval]])
    entries = _entries(period, label.astype(np.int64), ns, label_count)
    return PlannedSums(by_class, _failures((starts, end, kinds), pieces, failure, periods),
                       _running(starts, end, kinds, running, windows), *entries)  # fmt: skip


class _Pieces(NamedTuple):
    """The overlaps of timeline intervals with planned intervals, in time order."""

    interval: Int64s
    period: Int64s
    planned_start: Int64s
    ns: Int64s


def _pieces(starts: Int64s, end: int, planned: tuple[Int64s, Int64s, Int64s]) -> _Pieces:
    planned_start, planned_end, planned_period = planned
    lo = np.maximum(np.searchsorted(starts, planned_start, side="right") - 1, 0)
    hi = np.searchsorted(starts, planned_end, side="left") - 1
    counts = np.maximum(hi - lo + 1, 0)
    which = np.repeat(np.arange(len(planned_start)), counts)
    offset = np.arange(len(which)) - np.repeat(np.cumsum(counts) - counts, counts)
    interval = (lo[which] + offset).astype(np.int64)
    right = np.append(starts[1:], end)[interval]
    ns = np.minimum(right, planned_end[which]) - np.maximum(starts[interval], planned_start[which])
    keep = ns > 0
    return _Pieces(interval[keep], planned_period[which][keep].astype(np.int64),
                   planned_start[which][keep], ns[keep].astype(np.int64))  # fmt: skip


def _entries(
    period: Int64s, label: Int64s, ns: Int64s, label_count: int
) -> tuple[Int64s, Int64s, Int64s]:
    """Downtime per (period, label): by period, labels in the order the period meets them."""
    keys = period * label_count + label
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    summed = np.zeros(len(unique), np.int64)
    np.add.at(summed, inverse, ns)
    order = np.lexsort((first, unique // label_count))
    return unique[order] // label_count, unique[order] % label_count, summed[order]


def _failures(
    timeline: tuple[Int64s, int, Int8s], pieces: _Pieces, failure: int, periods: int
) -> Int64s:
    """Per period: failures (runs of the failure class) beginning in its planned time, and
    their whole length."""
    starts, end, kinds = timeline
    out = np.zeros((periods, 2), np.int64)
    if failure < 0:
        return out
    interval = pieces.interval
    previous = np.concatenate(([-1], kinds[:-1].astype(np.int64)))[interval]
    begins = ((kinds[interval] == failure) & (previous != failure)
              & (pieces.planned_start <= starts[interval]))  # fmt: skip
    run_first, _, run_end = _runs(kinds == failure, starts, end)
    begun = interval[begins]
    length = run_end[np.searchsorted(run_first, begun)] - starts[begun]
    np.add.at(out[:, 0], pieces.period[begins], 1)
    np.add.at(out[:, 1], pieces.period[begins], length)
    return out


def _running(
    starts: Int64s, end: int, kinds: Int8s, running: int, windows: tuple[Int64s, Int64s]
) -> Int64s:
    """Running time inside each window, planned or not."""
    lengths = np.where(kinds == running, np.diff(np.append(starts, end)), 0)
    before = np.concatenate(([0], np.cumsum(lengths)))

    def until(moments: Int64s) -> Int64s:
        at = np.maximum(np.searchsorted(starts, moments, side="right") - 1, 0)
        return before[at] + np.where(kinds[at] == running, moments - starts[at], 0)

    return (until(windows[1]) - until(windows[0])).astype(np.int64)


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
    its own running total: its arrays are returned as views (base: its first value).
    """
    none = ts[:0]
    gaps = np.diff(ts)
    if (gaps < 0).any():
        return False, none, none, 0, none, none
    if not len(ts):
        return True, none, none, 0, none, none
    rate, burst = limit
    rises = values[:0] if delta else np.diff(values)
    if not delta and _only_rises(gaps, rises, rate, burst):
        return True, ts[1:], values[1:], int(values[0]), none, none
    if not gaps.all():
        last = np.append(gaps != 0, True)  # of samples at one time the last counts
        ts, values = ts[last], values[last]
        gaps, rises = np.diff(ts), values[:0] if delta else np.diff(values)
    gap = np.append(_FOREVER, gaps)
    step = values if delta else np.append(values[:1], rises)
    unexpected = np.zeros(len(ts), np.bool_)
    if not delta:
        step, unexpected = _drops(ts, values, step, gap, (wrap, rate, burst), order_changes,
                                  resets_expected)  # fmt: skip
    counted = np.ones(len(ts), np.bool_)
    counted[:1] = delta  # a cumulative counter's first sample is where it starts from
    bad = (step < 0) | _above_limit(step, gap, rate, burst)
    odd = counted & (bad | unexpected)
    good = counted & ~bad
    return (True, ts[good], np.cumsum(step[good]), 0, ts[odd],
            np.where(bad, np.abs(step), 0)[odd])  # fmt: skip


def _only_rises(gap: Int64s, step: Int64s, rate: float, burst: int) -> bool:
    """Whether every step up is within the limit, at strictly increasing times."""
    if not len(step):
        return True
    return bool(
        step.min() >= 0 and gap.min() > 0 and not _above_limit(step, gap, rate, burst).any()
    )


def _above_limit(step: Int64s, gap: Int64s, rate: float, burst: int) -> Bools:
    """Where ``step > ceil(gap * rate) + burst`` (nowhere for a negative rate). The bound only
    grows with the gap, so only steps above the smallest gap's bound are worked out."""
    above = np.zeros(len(step), np.bool_)
    if rate < 0 or not len(step):
        return above
    maybe = np.flatnonzero(step > np.ceil(gap.min() * rate) + burst)
    above[maybe] = step[maybe] > np.ceil(gap[maybe] * rate) + burst
    return above


def _drops(  # noqa: PLR0917 - one counter's samples and rules
    ts: Int64s, values: Int64s, step: Int64s, gap: Int64s, rules: tuple[int, float, int],
    order_changes: Int64s, resets_expected: bool,
) -> tuple[Int64s, Bools]:  # fmt: skip
    """A cumulative counter's drops as wraps or resets (see :func:`counter_increments`).
    Drops are rare, so only the samples after one are looked at."""
    wrap, rate, burst = rules
    at = np.flatnonzero(step[1:] < 0) + 1
    unexpected = np.zeros(len(ts), np.bool_)
    if not len(at):
        return step, unexpected
    changed = np.searchsorted(order_changes, ts[at], side="right") > np.searchsorted(
        order_changes, ts[at - 1], side="right"
    )
    wrapped = step[at] + wrap
    fits = wrapped <= np.ceil(gap[at] * rate) + burst if rate >= 0 else wrapped < wrap // 2
    as_wrap = fits & ~changed & bool(wrap)
    step = step.copy()
    step[at] = np.where(as_wrap, wrapped, values[at])
    unexpected[at] = ~as_wrap & ~(changed & resets_expected)
    return step, unexpected
