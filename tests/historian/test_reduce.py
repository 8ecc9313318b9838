"""Reducing a signal for a chart: at most N buckets, spikes kept, the last value exact."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.core.columns import Column
from smkit.core.reduce import reduce
from smkit.core.sample import Value


def column(ts: list[int], values: list[Value]) -> Column:
    return Column(np.array(ts, np.int64), values, np.zeros(len(ts), np.int8))


def test_a_spike_survives_and_the_last_value_is_the_last_sample() -> None:
    found = reduce(column([0, 1, 2, 3, 10, 11], [1.0, 9.0, 2.0, 3.0, 4.0, 5.0]), 0, 20, 2)
    assert found.ts == [0, 10]
    assert (found.minimum, found.maximum, found.last) == ([1.0, 4.0], [9.0, 5.0], [3.0, 5.0])
    assert found.count == [4, 2]


def test_text_keeps_its_last_value_and_bad_samples_are_left_out() -> None:
    found = reduce(column([0, 5, 6, 15], ["RUN", None, "ALARM", "RUN"]), 0, 20, 2)
    assert found.last == ["ALARM", "RUN"] and found.minimum == [None, None]
    assert found.count == [2, 1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.floats(-1e6, 1e6)), max_size=300),
    st.integers(1, 50),
)
def test_never_more_buckets_than_asked_and_every_sample_counted_once(
    rows: list[tuple[int, float]], buckets: int
) -> None:
    by_ts = dict(rows)
    ts = sorted(by_ts)
    found = reduce(column(ts, [by_ts[t] for t in ts]), 0, 10_001, buckets)
    assert len(found.ts) <= buckets and sum(found.count) == len(ts)
    if ts:
        assert max(m for m in found.maximum if m is not None) == max(by_ts.values())
        assert min(m for m in found.minimum if m is not None) == min(by_ts.values())
        assert found.last[-1] == by_ts[ts[-1]]
