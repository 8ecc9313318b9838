"""The two searches under the engine, against their plain definitions (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from smkit.oee.counters import Increments
from smkit.oee.planned import PlannedIndex, cut
from smkit.oee.units import Running

times = st.lists(st.integers(0, 60), max_size=30).map(sorted)


@given(times, st.lists(st.integers(0, 9), min_size=30, max_size=30), times)
def test_units_within_each_range_are_the_units_whose_time_is_in_it(
    ts: list[int], units: list[int], points: list[int]
) -> None:
    counts = Increments(np.array(ts, dtype=np.int64), np.array(units[: len(ts)], dtype=np.int64))
    expected = [
        sum(u for t, u in zip(ts, units, strict=False) if low < t <= high)
        for low, high in itertools.pairwise(points)
    ]
    assert Running(counts).within(np.array(points, dtype=np.int64)).tolist() == expected


@st.composite
def planned_and_timeline(draw: st.DrawFn) -> tuple[list[list[tuple[int, int]]], list[int], int]:
    """Periods of disjoint planned intervals (touching ones too), and a timeline around them."""
    edges = sorted(draw(st.lists(st.integers(10, 90), max_size=12)))
    pairs = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=False)]
    periods = [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
    starts = sorted({0, *draw(st.lists(st.integers(1, 99), max_size=15))})
    return periods, starts, 100


@given(planned_and_timeline())
def test_each_instant_of_a_cut_timeline_keeps_its_interval_and_finds_its_planned_period(
    case: tuple[list[list[tuple[int, int]]], list[int], int],
) -> None:
    periods, starts, end = case
    pieces = cut(np.array(starts, dtype=np.int64), end, PlannedIndex([tuple(p) for p in periods]))
    assert int(pieces.length.sum()) == end - starts[0]
    for instant in range(starts[0], end):
        piece = int(np.searchsorted(pieces.left, instant, side="right")) - 1
        while pieces.length[piece] == 0:
            piece -= 1
        source = max(i for i, s in enumerate(starts) if s <= instant)
        owner = [n for n, p in enumerate(periods) if any(a <= instant < b for a, b in p)]
        assert int(pieces.source[piece]) == source
        assert int(pieces.period[piece]) == (owner[0] if owner else -1)
