"""Units summed between instants, against the plain definition (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from smkit.oee.increments import Increments

times = st.lists(st.integers(0, 60), max_size=30).map(sorted)


@given(times, st.lists(st.integers(0, 9), min_size=30, max_size=30), times)
def test_units_within_each_range_are_the_units_whose_time_is_in_it(
    ts: list[int], units: list[int], points: list[int]
) -> None:
    made = units[: len(ts)]
    counts = Increments.of(np.array(ts, dtype=np.int64), np.array(made, dtype=np.int64))
    expected = [
        sum(u for t, u in zip(ts, made, strict=True) if low < t <= high)
        for low, high in itertools.pairwise(points)
    ]
    assert counts.within(np.array(points, dtype=np.int64)).tolist() == expected
    assert counts.units.tolist() == made
