"""Packed hours of the SQLite historian read exactly as the rows they replaced.

Random writes (late samples, samples written again with new values, missing values, status
codes, every value type) are interleaved with pack passes at random cutoffs; after each step
every read must give what a plain model of the historian's rules says: per series the last
write of each instant, the window half open and led by the last sample before it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from smkit.core.sample import Quality, Sample, storable
from smkit.core.timeunits import HOUR_NS, MINUTE_NS
from smkit.historian import SqliteHistorian
from smkit.historian import sqlite as sqlite_module

T0 = 1_764_000_000 * 10**9 - 1_764_000_000 * 10**9 % HOUR_NS
SIGNALS = {"speed": "float", "count": "int", "running": "bool", "program": "str"}


def value_of(kind: str) -> st.SearchStrategy[object]:
    return {
        "float": st.floats(-1e9, 1e9, allow_nan=False),
        "int": st.integers(-(2**62), 2**62),
        "bool": st.booleans(),
        "str": st.text(st.characters(codec="utf-8"), max_size=6),  # NUL included
    }[kind]


@st.composite
def sample(draw: st.DrawFn) -> Sample:
    signal = draw(st.sampled_from(sorted(SIGNALS)))
    ts = T0 + draw(st.integers(0, 6 * 60)) * MINUTE_NS // 2  # six hours, half-minute steps
    if draw(st.integers(0, 9)) == 0:
        return Sample("m1", signal, ts, None, Quality.BAD, 0x80000000)
    quality = draw(st.sampled_from([Quality.GOOD, Quality.GOOD, Quality.UNCERTAIN]))
    status = draw(st.sampled_from([None, None, None, 0x40920000]))
    return Sample("m1", signal, ts, draw(value_of(SIGNALS[signal])), quality, status)  # type: ignore[arg-type]


@st.composite
def batch(draw: st.DrawFn) -> list[Sample]:
    found = draw(st.lists(sample(), min_size=1, max_size=25))
    return list({(s.signal, s.ts): s for s in found}.values())  # one write per instant a batch


steps = st.lists(
    st.one_of(batch(), st.integers(0, 7).map(lambda hours: T0 + hours * HOUR_NS)),
    min_size=1,
    max_size=8,
)
windows = st.tuples(st.integers(-30, 400), st.integers(1, 400)).map(
    lambda w: (T0 + w[0] * MINUTE_NS, T0 + (w[0] + w[1]) * MINUTE_NS)
)


def expected(model: dict[tuple[str, int], Sample], start: int, end: int) -> list[Sample]:
    out = []
    for signal in sorted(SIGNALS):
        times = sorted(ts for s, ts in model if s == signal)
        before = [ts for ts in times if ts < start][-1:]
        out += [model[(signal, ts)] for ts in before + [t for t in times if start <= t < end]]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.lists(windows, min_size=1, max_size=3))
def test_reads_over_packed_hours_and_rows_equal_the_model(
    plan: list[list[Sample] | int], spans: list[tuple[int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_check(Path(folder) / "h.db", plan, spans))


async def _check(path: Path, plan: list[list[Sample] | int], spans: list[tuple[int, int]]) -> None:
    model: dict[tuple[str, int], Sample] = {}
    async with SqliteHistorian(path) as historian:
        for step in plan:
            if isinstance(step, int):
                await historian.pack(before_ns=step)
            else:
                await historian.write_samples(step)
                model |= {(s.signal, s.ts): storable(s) for s in step}
            for start, end in spans:
                want = expected(model, start, end)
                assert await historian.read_series(["m1"], start, end) == want
                columns = await historian.read_columns("m1", start, end, sorted(SIGNALS))
                for signal, column in columns.items():
                    mine = [s for s in want if s.signal == signal]
                    assert column.ts.tolist() == [s.ts for s in mine]
                    assert column.values == [s.value for s in mine]
                    assert [type(v) for v in column.values] == [type(s.value) for s in mine]
                    assert column.quality.tolist() == [int(s.quality) for s in mine]
                assert sorted(columns) == sorted({s.signal for s in want})
            newest = {s.signal: s for s in sorted(model.values(), key=lambda s: s.ts)}
            assert await historian.latest(["m1"]) == [newest[k] for k in sorted(newest)]


async def test_a_pass_moves_sealed_hours_out_of_rows_and_a_late_sample_is_merged_on_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.db"
    minutes = [Sample("m1", "count", T0 + m * MINUTE_NS, m) for m in range(180)]  # three hours
    async with SqliteHistorian(path) as historian:
        await historian.write_samples(minutes)
        assert await historian.pack(before_ns=T0 + 2 * HOUR_NS + 5) == 120  # two whole hours
        late = Sample("m1", "count", T0 + 30 * MINUTE_NS + 1, -1)
        again = Sample("m1", "count", T0 + 31 * MINUTE_NS, 310)  # a packed instant written again
        await historian.write_samples([late, again])
        columns = await historian.read_columns("m1", T0, T0 + 3 * HOUR_NS, ["count"])
        array = columns["count"].numbers()
        assert columns["count"].values[29:33] == [29, 30, -1, 310]
        assert len(columns["count"]) == 181 and array is None  # merged with rows: a list
        assert await historian.pack(before_ns=T0 + 2 * HOUR_NS) == 2  # the late two folded in
        read = await historian.read_columns("m1", T0, T0 + 2 * HOUR_NS, ["count"])
        packed = read["count"].numbers()
        assert packed is not None and packed.dtype == np.int64  # all packed: one array
        assert packed[29:33].tolist() == [29, 30, -1, 310]
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM samples").fetchone() == (60,)
    assert db.execute("SELECT hour, form FROM packed").fetchall() == [
        (T0, "i8"),
        (T0 + HOUR_NS, "i8"),
    ]
    db.close()


async def test_a_writer_packs_sealed_hours_by_itself_and_leaves_recent_ones_as_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "PACK_FIRST_S", 0.0)  # the first pass at the first write
    now = time.time_ns()
    old = [Sample("m1", "count", now - 5 * HOUR_NS + m * MINUTE_NS, m) for m in range(60)]
    recent = [Sample("m1", "count", now - 30 * MINUTE_NS + m * MINUTE_NS, m) for m in range(10)]
    path = tmp_path / "h.db"
    async with SqliteHistorian(path) as historian:
        await historian.write_samples(old + recent)
        read = await historian.read_series(["m1"], now - 6 * HOUR_NS, now)
    assert read == old + recent
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM samples").fetchone() == (10,)
    (packed,) = db.execute("SELECT sum(length(ts)) / 8 FROM packed").fetchone()
    db.close()
    assert packed == 60


async def test_two_processes_packing_one_file_move_each_sample_once(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    minutes = [Sample("m1", "count", T0 + m * MINUTE_NS, m) for m in range(120)]
    async with SqliteHistorian(path) as writer, SqliteHistorian(path) as other:
        await writer.write_samples(minutes)
        moved = [await other.pack(before_ns=T0 + 2 * HOUR_NS), await writer.pack(T0 + 2 * HOUR_NS)]
        assert moved == [120, 0]
        assert await writer.read_series(["m1"], T0, T0 + 2 * HOUR_NS) == minutes
