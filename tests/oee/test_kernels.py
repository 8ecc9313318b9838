"""The engine's compiled loops, against plain definitions of what they compute (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from smkit.oee.kernels import class_stops, planned_sums, runs_of, states_in_window, time_order
from smkit.oee.planned import PlannedIndex

STOP, SMALL, LONG = 3, 4, 5


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
    class_stops(starts, ends, kinds, (STOP, SMALL, LONG), threshold)
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
    run_starts, run_ends = runs_of(starts, starts + 10, np.array(kinds, dtype=np.int8), 1)
    expected = []
    for i, kind in enumerate(kinds):
        if kind == 1 and (i == 0 or kinds[i - 1] != 1):
            last = i
            while last + 1 < len(kinds) and kinds[last + 1] == 1:
                last += 1
            expected.append((i * 10, last * 10 + 10))
    assert list(zip(run_starts.tolist(), run_ends.tolist(), strict=True)) == expected


@given(st.lists(st.integers(0, 5), max_size=10))
def test_time_order_tells_strictly_increasing_repeating_and_decreasing_times(ts: list[int]) -> None:
    pairs = list(itertools.pairwise(ts))
    expected = -1 if any(b < a for a, b in pairs) else 0 if any(b == a for a, b in pairs) else 1
    assert time_order(np.array(ts, dtype=np.int64)) == expected


@st.composite
def planned_and_timeline(draw: st.DrawFn) -> tuple[list[list[tuple[int, int]]], list[int], int]:
    """Periods of disjoint planned intervals (touching ones too), and a timeline around them."""
    edges = sorted(draw(st.lists(st.integers(10, 90), max_size=12)))
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
    labels = data.draw(st.lists(st.integers(0, 4), min_size=len(starts), max_size=len(starts)))
    is_down = np.array([False, True, True, False])
    planned = PlannedIndex([tuple(p) for p in periods])
    by_class, period, label, ns = planned_sums(
        np.array(starts, dtype=np.int64), end, np.array(kinds, dtype=np.int8),
        np.array(labels, dtype=np.int64), (planned.start, planned.end, planned.period),
        (len(periods), 4, 5), is_down,
    )  # fmt: skip
    expected_class = np.zeros((len(periods), 4), dtype=np.int64)
    expected_down: dict[tuple[int, int], int] = {}
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
    assert dict(zip(entries, ns.tolist(), strict=True)) == expected_down


def test_periods_whose_planned_time_overlaps_are_refused() -> None:
    try:
        PlannedIndex([((0, 10),), ((5, 20),)])
    except ValueError as error:
        assert "overlap" in str(error)
    else:
        raise AssertionError("overlapping planned intervals were accepted")
