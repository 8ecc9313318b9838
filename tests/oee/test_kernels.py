"""The engine's compiled loops, against plain definitions of what they compute (hypothesis)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.oee.kernels import (
    class_stops,
    counter_increments,
    planned_sums,
    runs_of,
    states_in_window,
    upto,
)
from smkit.oee.planned import PlannedIndex

STOP, SMALL, LONG = 3, 4, 5
RUNNING, FAILURE = 0, 2


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2), st.integers(0, 2)), max_size=25),
       st.integers(0, 9), st.integers(1, 6))  # fmt: skip
def test_each_instant_of_the_window_is_in_the_state_its_last_change_set(
    raw: list[tuple[int, int, int]], begin: int, length: int
) -> None:
    changes = sorted(raw, key=lambda change: change[0])  # stable: the order at one time stays
    columns = list(zip(*changes, strict=True)) if changes else [[], [], []]
    ts, category, reason = (np.array(c, dtype=t) for c, t in
                            zip(columns, (np.int64, np.int8, np.int32), strict=True))  # fmt: skip
    table = np.arange(4 * 3, dtype=np.int8).reshape(4, 3)  # the class tells category and reason
    end = begin + length
    starts, kinds, codes = states_in_window((ts, category, reason), (begin, end), table, 3)
    assert starts[0] == begin
    assert (np.diff(kinds.astype(int)) != 0).all()  # a new interval only for a new state
    for instant in range(begin, end):
        in_effect = [c for c in changes if c[0] <= instant]
        state = in_effect[-1][1:] if in_effect else (3, 0)
        interval = int(np.searchsorted(starts, instant, side="right")) - 1
        assert (kinds[interval], codes[interval]) == (table[state], state[1])


@given(st.lists(st.tuples(st.integers(1, 9), st.sampled_from([0, STOP])), max_size=20),
       st.integers(0, 20))  # fmt: skip
def test_every_interval_of_a_stop_is_small_exactly_when_the_whole_stop_is_short(
    intervals: list[tuple[int, int]], threshold: int
) -> None:
    starts = np.cumsum([0] + [length for length, _ in intervals])[:-1].astype(np.int64)
    ends = starts + np.array([length for length, _ in intervals], dtype=np.int64)
    kinds = np.array([kind for _, kind in intervals], dtype=np.int8)
    class_stops(starts, int(ends[-1]) if len(ends) else 0, kinds, (STOP, SMALL, LONG), threshold)
    for i, (_, kind) in enumerate(intervals):
        if kind != STOP:
            assert kinds[i] == kind
            continue
        first, last = i, i
        while first > 0 and intervals[first - 1][1] == STOP:
            first -= 1
        while last + 1 < len(intervals) and intervals[last + 1][1] == STOP:
            last += 1
        whole = int(ends[last] - starts[first])
        assert kinds[i] == (SMALL if whole <= threshold else LONG)


@given(st.lists(st.integers(0, 2), max_size=20))
def test_runs_of_a_class_are_its_maximal_stretches_of_consecutive_intervals(
    kinds: list[int],
) -> None:
    starts = np.arange(len(kinds), dtype=np.int64) * 10
    run_starts, run_ends = runs_of(starts, len(kinds) * 10, np.array(kinds, dtype=np.int8), 1)
    expected = []
    for i, kind in enumerate(kinds):
        if kind == 1 and (i == 0 or kinds[i - 1] != 1):
            last = i
            while last + 1 < len(kinds) and kinds[last + 1] == 1:
                last += 1
            expected.append((i * 10, last * 10 + 10))
    assert list(zip(run_starts.tolist(), run_ends.tolist(), strict=True)) == expected


Step = Callable[[int | None, int, int, int], tuple[int | None, int | None]]


def counter_rules(delta: bool, wrap: int, rate: float, changes: list[int], expected: bool) -> Step:
    """The credit (or None) and anomaly (or None) of one step from (t0, v0) to (t1, v1)."""

    def allowed(units: int, gap: float) -> bool:
        return rate < 0 or gap == math.inf or units <= math.ceil(gap * rate) + 2

    def step(t0: int | None, v0: int, t1: int, v1: int) -> tuple[int | None, int | None]:
        unexpected, units = False, v1 if delta else v1 - v0
        gap = math.inf if t0 is None else t1 - t0
        if not delta and units < 0:
            changed = any(t0 < c <= t1 for c in changes)  # type: ignore[operator]
            fits = allowed(units + wrap, gap) if rate >= 0 else units + wrap < wrap // 2
            if wrap and fits and not changed:
                units += wrap
            else:
                units, unexpected = v1, not (changed and expected)
        if units < 0 or not allowed(units, gap):
            return None, abs(units)
        return units, 0 if unexpected else None

    return step


@settings(max_examples=400)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(-2, 20)), max_size=14),
       st.booleans(), st.sampled_from([0, 1 << 4, 1 << 16]), st.sampled_from([-1.0, 0.5, 1.5]),
       st.lists(st.integers(0, 8), max_size=3).map(sorted), st.booleans())  # fmt: skip
def test_counter_increments_credit_each_step_by_the_counter_rules(  # noqa: PLR0917
    samples: list[tuple[int, int]],
    delta: bool,
    wrap: int,
    rate: float,
    changes: list[int],
    expected: bool,
) -> None:
    samples.sort(key=lambda sample: sample[0])  # stable: the order at one time stays
    last = dict(samples)  # of samples at one time the last counts
    kept = sorted(last.items())
    step = counter_rules(delta, wrap, rate, changes, expected)
    if delta:  # each value is a credit; the first sample's gap is unbounded
        pairs = [(None if i == 0 else kept[i - 1][0], 0, t, v) for i, (t, v) in enumerate(kept)]
    else:  # each increase over the previous sample is
        pairs = [(t0, v0, t1, v1) for (t0, v0), (t1, v1) in itertools.pairwise(kept)]
    credits, anomalies = [], []
    for t0, v0, t1, v1 in pairs:
        credit, odd = step(t0, v0, t1, v1)
        if credit is not None:
            credits.append((t1, credit))
        if odd is not None:
            anomalies.append((t1, odd))
    ts, values = (np.array([s[i] for s in samples], dtype=np.int64) for i in (0, 1))
    in_order, *out = counter_increments(ts, values, delta, wrap, (rate, 2),
                                        np.array(changes, dtype=np.int64), expected)  # fmt: skip
    assert in_order
    credited_ts, running, base, odd_ts, odd_units = out
    assert credited_ts.tolist() == [t for t, _ in credits]
    assert (running - base).tolist() == list(itertools.accumulate(u for _, u in credits))
    assert list(zip(odd_ts.tolist(), odd_units.tolist(), strict=True)) == anomalies


def test_counter_samples_going_back_in_time_are_refused() -> None:
    ts = np.array([0, 5, 3], dtype=np.int64)
    none = np.zeros(0, np.int64)
    assert not counter_increments(ts, ts, False, 0, (-1.0, 0), none, False)[0]


@st.composite
def planned_and_timeline(draw: st.DrawFn) -> tuple[list[list[tuple[int, int]]], list[int], int]:
    """Periods of disjoint planned intervals (touching ones too), and a timeline around them."""
    edges = sorted(draw(st.lists(st.integers(10, 100), max_size=12)))  # up to the end too
    pairs = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=False)]
    periods = [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
    starts = sorted({0, *draw(st.lists(st.integers(1, 99), max_size=15))})
    return periods, starts, 100


@given(planned_and_timeline(), st.data())
def test_planned_sums_give_each_planned_instant_to_its_period_class_and_label(
    case: tuple[list[list[tuple[int, int]]], list[int], int], data: st.DataObject
) -> None:
    periods, starts, end = case
    kinds = data.draw(st.lists(st.integers(0, 3), min_size=len(starts), max_size=len(starts)))
    reasons = data.draw(st.lists(st.integers(0, 2), min_size=len(starts), max_size=len(starts)))
    class_labels = [3, 4, 5, 6]  # the label of a downtime interval without a reason
    labels = [r if r > 0 else class_labels[k] for r, k in zip(reasons, kinds, strict=True)]
    is_down = np.array([False, True, True, False])
    planned = PlannedIndex([tuple(p) for p in periods])
    windows: list[tuple[int, int]] = []  # each period's planned time, widened a little
    for n, p in enumerate(periods):
        following = periods[n + 1][0][0] if n + 1 < len(periods) else end
        widen = data.draw(st.tuples(st.integers(0, 5), st.integers(0, 5)))
        windows.append((max(p[0][0] - widen[0], windows[-1][1] if windows else 0),
                        min(p[-1][1] + widen[1], following)))  # fmt: skip
    walked = planned_sums(
        (np.array(starts, dtype=np.int64), end, np.array(kinds, dtype=np.int8),
         np.array(reasons, dtype=np.int32)), np.array(class_labels, dtype=np.int64),
        (planned.start, planned.end, planned.period),
        (np.array([a for a, _ in windows], dtype=np.int64),
         np.array([b for _, b in windows], dtype=np.int64)),
        7, (is_down, FAILURE, RUNNING),
    )  # fmt: skip
    by_class, failures, running = walked.by_class, walked.failures, walked.running
    period, label, ns = walked.entry_period, walked.entry_label, walked.entry_ns
    expected_class = np.zeros((len(periods), 4), dtype=np.int64)
    expected_down: dict[tuple[int, int], int] = {}
    expected_running = [
        sum(kinds[max(i for i, s in enumerate(starts) if s <= t)] == RUNNING for t in range(a, b))
        for a, b in windows
    ]
    assert running.tolist() == expected_running
    for instant in range(end):
        owner = [n for n, p in enumerate(periods) if any(a <= instant < b for a, b in p)]
        if not owner:
            continue
        source = max(i for i, s in enumerate(starts) if s <= instant)
        expected_class[owner[0], kinds[source]] += 1
        if is_down[kinds[source]]:
            key = (owner[0], labels[source])
            expected_down[key] = expected_down.get(key, 0) + 1
    assert by_class.tolist() == expected_class.tolist()
    entries = list(zip(period.tolist(), label.tolist(), strict=True))
    assert len(entries) == len(set(entries))  # one entry per label a period has
    assert period.tolist() == sorted(period.tolist())
    assert dict(zip(entries, ns.tolist(), strict=True)) == expected_down
    expected_failures = np.zeros((len(periods), 2), dtype=np.int64)
    bounds = [*starts[1:], end]
    for i, kind in enumerate(kinds):
        if kind != FAILURE or (i and kinds[i - 1] == FAILURE):
            continue  # not where a failure begins
        last = i
        while last + 1 < len(kinds) and kinds[last + 1] == FAILURE:
            last += 1
        owner = [n for n, p in enumerate(periods) if any(a <= starts[i] < b for a, b in p)]
        if owner:
            expected_failures[owner[0]] += (1, bounds[last] - starts[i])
    assert failures.tolist() == expected_failures.tolist()


@given(st.lists(st.integers(0, 30), max_size=20).map(sorted), st.lists(st.integers(-2, 33)))
def test_upto_counts_the_times_at_or_before_each_point_in_any_order(
    ts: list[int], points: list[int]
) -> None:
    for ordered in (sorted(points), points):
        found = upto(np.array(ts, dtype=np.int64), np.array(ordered, dtype=np.int64))
        assert found.tolist() == [sum(t <= p for t in ts) for p in ordered]


def test_periods_whose_planned_time_overlaps_are_refused() -> None:
    try:
        PlannedIndex([((0, 10),), ((5, 20),)])
    except ValueError as error:
        assert "overlap" in str(error)
    else:
        raise AssertionError("overlapping planned intervals were accepted")
