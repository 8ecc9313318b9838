"""The historian contract, run unchanged against SQLite and a real influxd."""

from __future__ import annotations

import pytest

from smkit.core import Quality, Sample
from smkit.errors import WriteRejected
from smkit.historian import Historian, Record

S = 1_000_000_000  # one second in nanoseconds
T0 = 1_764_000_000 * S  # 2025-11-24, an ordinary instant


def good(machine: str, signal: str, second: int, value: object) -> Sample:
    return Sample(machine, signal, T0 + second * S, value)  # type: ignore[arg-type]


async def test_values_round_trip_with_their_types(historian: Historian) -> None:
    written = [
        good("m1", "temperature", 0, 21.0),
        good("m1", "temperature", 1, -0.125),
        good("m1", "parts", 0, 12),
        good("m1", "parts", 1, 2**53 + 1),
        good("m1", "running", 0, True),
        good("m1", "running", 1, False),
        good("m1", "program", 0, 'O1001 "roughing" C:\\nc\\a.nc — Mặt bích'),
        Sample("m1", "pressure", T0, 3.5, Quality.UNCERTAIN, 0x40920000),
        Sample("m1", "pressure", T0 + S, None, Quality.BAD, 0x80310000),
    ]
    await historian.write_samples(written)
    read = await historian.read_series(["m1"], T0, T0 + 2 * S)
    assert read == sorted(written, key=lambda s: (s.machine_id, s.signal, s.ts))
    assert [type(s.value) for s in read if s.signal == "temperature"] == [float, float]
    assert [type(s.value) for s in read if s.signal == "running"] == [bool, bool]


async def test_window_is_half_open_and_carries_the_last_value_before_it(
    historian: Historian,
) -> None:
    await historian.write_samples(
        [
            good("m1", "state", -100, 2),
            good("m1", "state", -10, 6),  # the last before the window: carried in
            good("m1", "state", 0, 5),  # at the start: inside
            good("m1", "state", 59, 6),
            good("m1", "state", 60, 2),  # at the end: outside
            good("m1", "speed", 30, 1500.0),  # no sample before the window: nothing carried
        ]
    )
    read = await historian.read_series(["m1"], T0, T0 + 60 * S)
    assert [(s.signal, (s.ts - T0) // S, s.value) for s in read] == [
        ("speed", 30, 1500.0),
        ("state", -10, 6),
        ("state", 0, 5),
        ("state", 59, 6),
    ]


async def test_last_value_before_the_window_may_be_bad(historian: Historian) -> None:
    await historian.write_samples(
        [
            good("m1", "temp", -20, 70.5),
            Sample("m1", "temp", T0 - 5 * S, None, Quality.BAD, 0x808A0000),
        ]
    )
    (carried,) = await historian.read_series(["m1"], T0, T0 + S)
    assert carried == Sample("m1", "temp", T0 - 5 * S, None, Quality.BAD, 0x808A0000)


async def test_a_value_written_at_the_instant_of_a_bad_mark_is_what_that_instant_holds(
    historian: Historian,
) -> None:
    """A Sparkplug birth before any value marks each metric bad at the birth's time; the first
    value may come for that same instant (InfluxDB merges the two points field by field)."""
    await historian.write_samples([Sample("m1", "count", T0, None, Quality.BAD)])
    await historian.write_samples([good("m1", "count", 0, 0), good("m1", "count", 1, 3)])
    assert await historian.read_series(["m1"], T0, T0 + 2 * S) == [
        good("m1", "count", 0, 0), good("m1", "count", 1, 3)
    ]  # fmt: skip
    columns = await historian.read_columns("m1", T0, T0 + 2 * S, ["count"])
    assert columns["count"].values == [0, 3] and columns["count"].quality.tolist() == [0, 0]
    (carried,) = await historian.read_series(["m1"], T0 + 2 * S, T0 + 3 * S)
    assert carried == good("m1", "count", 1, 3)


async def test_reads_filter_by_machine_and_signal(historian: Historian) -> None:
    await historian.write_samples(
        [good(m, s, 1, 1.0) for m in ("m1", "m2", "m3") for s in ("a", "b", "c")]
    )
    read = await historian.read_series(["m1", "m3"], T0, T0 + 10 * S, signals=["b", "c", "absent"])
    assert {(s.machine_id, s.signal) for s in read} == {
        ("m1", "b"),
        ("m1", "c"),
        ("m3", "b"),
        ("m3", "c"),
    }
    assert await historian.read_series(["nobody"], T0, T0 + 10 * S) == []


async def test_writing_again_stores_nothing_twice(historian: Historian) -> None:
    batch = [good("m1", "count", second, second * 3) for second in range(50)]
    await historian.write_samples(batch)
    await historian.write_samples(batch[10:30])
    await historian.write_samples(batch)
    assert await historian.read_series(["m1"], T0, T0 + 50 * S) == batch


async def test_latest_is_the_newest_sample_of_each_series(historian: Historian) -> None:
    await historian.write_samples(
        [
            good("m1", "state", 1, 6),
            good("m1", "state", 9, 2),
            good("m1", "temp", 3, 40.0),
            Sample("m1", "temp", T0 + 4 * S, None, Quality.BAD),
            good("m2", "state", 5, 4),
        ]
    )
    newest = await historian.latest()
    assert [(s.machine_id, s.signal, (s.ts - T0) // S, s.value, s.quality) for s in newest] == [
        ("m1", "state", 9, 2, Quality.GOOD),
        ("m1", "temp", 4, None, Quality.BAD),
        ("m2", "state", 5, 4, Quality.GOOD),
    ]
    assert [s.machine_id for s in await historian.latest(["m2"])] == ["m2"]
    assert await historian.latest(["nobody"]) == []


async def test_not_finite_numbers_are_stored_as_bad_samples(historian: Historian) -> None:
    await historian.write_samples(
        [good("m1", "x", 0, float("nan")), good("m1", "x", 1, float("inf"))]
    )
    read = await historian.read_series(["m1"], T0, T0 + 2 * S)
    assert [(s.value, s.quality) for s in read] == [(None, Quality.BAD), (None, Quality.BAD)]


async def test_hostile_names_round_trip_as_data_and_cannot_change_a_query(
    historian: Historian,
) -> None:
    hostile = ["x' OR 1=1 --", 'a",b=c d', "'; DROP TABLE samples; --", 'm" OR "1"="1', "tên máy 1"]
    await historian.write_samples(
        [good(m, "sig nal,=x", 0, float(n)) for n, m in enumerate(hostile)]
    )
    await historian.write_samples([good("innocent", "sig nal,=x", 0, 99.0)])
    for number, machine in enumerate(hostile):
        read = await historian.read_series([machine], T0, T0 + S)
        assert read == [good(machine, "sig nal,=x", 0, float(number))]
    assert await historian.read_series(["' OR ''='"], T0, T0 + S) == []
    assert len(await historian.latest()) == len(hostile) + 1


@pytest.mark.parametrize("name", ["back\\slash", "new\nline", "", "tab\there"])
async def test_names_the_historian_cannot_carry_are_rejected(
    historian: Historian, name: str
) -> None:
    with pytest.raises(WriteRejected):
        await historian.write_samples([good(name, "s", 0, 1.0)])
    with pytest.raises(WriteRejected):
        await historian.write_samples([good("m", name, 0, 1.0)])
    with pytest.raises(WriteRejected):
        await historian.write_records([Record("oee", {"machine": name}, {"A": 1.0}, T0)])


async def test_records_round_trip_filter_and_merge(historian: Historian) -> None:
    first = Record(
        "oee",
        {"machine": "m1", "shift": "A"},
        {"A": 1.0, "OEE": 0.7479, "good": 19271, "flag": True},
        T0,
    )
    other = Record("oee", {"machine": "m2", "shift": "A"}, {"A": 0.5, "note": 'tạm "dừng"'}, T0)
    later = Record("oee", {"machine": "m1", "shift": "B"}, {"A": 0.9}, T0 + 3600 * S)
    await historian.write_records([first, other, later])
    assert await historian.read_records("oee", T0, T0 + 7200 * S) == [first, other, later]
    assert await historian.read_records("oee", T0, T0 + 7200 * S, {"machine": "m1"}) == [
        first,
        later,
    ]
    assert await historian.read_records("oee", T0, T0 + S, {"shift": "A", "machine": "m2"}) == [
        other
    ]
    assert await historian.read_records("oee", T0 + S, T0 + 3600 * S) == []
    assert await historian.read_records("downtime", T0, T0 + 7200 * S) == []
    await historian.write_records([Record("oee", first.tags, {"OEE": 0.75, "P": 0.8611}, T0)])
    (merged,) = await historian.read_records("oee", T0, T0 + S, {"machine": "m1"})
    assert merged.fields == {"A": 1.0, "OEE": 0.75, "good": 19271, "flag": True, "P": 0.8611}
    assert type(merged.fields["A"]) is float


async def test_record_tags_cannot_change_a_query(historian: Historian) -> None:
    await historian.write_records([Record("oee", {"machine": "x' OR 1=1 --"}, {"A": 1.0}, T0)])
    await historian.write_records([Record("oee", {"machine": "other"}, {"A": 0.5}, T0)])
    (found,) = await historian.read_records("oee", T0, T0 + S, {"machine": "x' OR 1=1 --"})
    assert found.fields == {"A": 1.0}
    assert await historian.read_records("oee", T0, T0 + S, {"machine": "' OR ''='"}) == []


async def test_health_reports_the_backend_and_version(historian: Historian) -> None:
    health = await historian.health()
    assert health.ok, health.detail
    assert health.version


async def test_empty_reads_and_writes(historian: Historian) -> None:
    await historian.write_samples([])
    await historian.write_records([])
    assert await historian.read_series(["m1"], T0, T0 + S) == []
    assert await historian.latest() == []
    assert await historian.read_records("oee", T0, T0 + S) == []


async def test_a_refused_batch_leaves_no_trace_and_later_writes_work(historian: Historian) -> None:
    with pytest.raises(WriteRejected):
        await historian.write_samples(
            [good("new-machine", "temp", 0, 1.0), good("bad\\name", "temp", 0, 2.0)]
        )
    await historian.write_samples([good("new-machine", "temp", 1, 3.0)])
    assert await historian.read_series(["new-machine"], T0, T0 + 2 * S) == [
        good("new-machine", "temp", 1, 3.0)
    ]


async def test_a_signal_keeps_the_type_of_its_first_value(historian: Historian) -> None:
    await historian.write_samples(
        [Sample("m1", "temp", T0, None, Quality.BAD), good("m1", "temp", 1, 20.5)]
    )
    for wrong in ("hot", 21, True):
        with pytest.raises(WriteRejected, match="field type conflict"):
            await historian.write_samples([good("m1", "temp", 2, wrong)])
    await historian.write_samples([Sample("m1", "temp", T0 + 3 * S, None, Quality.BAD)])
    await historian.write_samples([good("m1", "running", 0, True), good("m2", "label", 0, "hot")])
    with pytest.raises(WriteRejected, match="field type conflict"):
        await historian.write_samples([good("m1", "running", 1, 1)])
    read = await historian.read_series(["m1", "m2"], T0, T0 + 4 * S)
    assert [(s.machine_id, s.signal, s.value) for s in read] == [
        ("m1", "running", True),
        ("m1", "temp", None),
        ("m1", "temp", 20.5),
        ("m1", "temp", None),
        ("m2", "label", "hot"),
    ]


async def test_columns_hold_what_the_series_read_holds_led_by_the_last_value_before(
    historian: Historian,
) -> None:
    written = [
        good("m1", "state", -100, "IDLE"),
        good("m1", "state", -10, "RUN"),  # the last before the window leads the column
        good("m1", "state", 0, "STOP"),
        good("m1", "state", 59, "RUN"),
        good("m1", "state", 60, "IDLE"),  # at the end: outside
        good("m1", "parts", 5, 12),
        good("m1", "parts", 6, 2**53 + 1),
        good("m1", "light", 1, True),
        good("m1", "light", 2, False),
        Sample("m1", "pressure", T0 - 5 * S, 3.5, Quality.UNCERTAIN, 0x40920000),
        Sample("m1", "pressure", T0 + 3 * S, None, Quality.BAD, 0x80310000),
        Sample("m1", "speed", T0 - 7 * S, None, Quality.BAD, 0x80310000),  # bad, before
        good("m2", "state", 1, "RUN"),  # another machine: not read
        good("m1", "temperature", 1, 20.5),  # not asked for: not read
    ]
    await historian.write_samples(written)
    asked = ["state", "parts", "light", "pressure", "speed", "missing"]
    columns = await historian.read_columns("m1", T0, T0 + 60 * S, asked)
    assert sorted(columns) == ["light", "parts", "pressure", "speed", "state"]
    series = await historian.read_series(["m1"], T0, T0 + 60 * S, asked)
    for signal, column in columns.items():
        expected = [s for s in series if s.signal == signal]
        assert column.ts.tolist() == [s.ts for s in expected]
        assert list(column.values) == [s.value for s in expected]
        assert [type(v) for v in column.values] == [type(s.value) for s in expected]
        assert column.quality.tolist() == [int(s.quality) for s in expected]
    assert list(columns["state"].values) == ["RUN", "STOP", "RUN"]
    assert columns["pressure"].quality.tolist() == [Quality.UNCERTAIN, Quality.BAD]
    assert list(columns["speed"].values) == [None] and columns["speed"].quality.tolist() == [2]
    assert await historian.read_columns("m9", T0, T0 + S, ["state"]) == {}


HOUR = 3600 * S


async def test_changes_name_the_earliest_hour_written_after_a_version(
    historian: Historian,
) -> None:
    start = T0 - T0 % HOUR
    await historian.write_samples([good("m1", "state", 0, 1), good("m2", "state", 0, 1)])
    seen = await historian.version()
    assert await historian.changes(["m1", "m2"], start, start + 24 * HOUR, seen) == {}
    late = [Sample("m1", "state", start + 5 * HOUR + S, 2),  # a late sample, hours back
            Sample("m1", "state", start + 9 * HOUR, 3)]  # fmt: skip
    await historian.write_samples(late)
    assert await historian.version() > seen
    assert await historian.changes(["m1", "m2"], start, start + 24 * HOUR, seen) == {
        "m1": start + 5 * HOUR
    }
    # a window ending before the hour, or a machine not asked about, hears of nothing
    assert await historian.changes(["m1"], start, start + 5 * HOUR, seen) == {}
    assert await historian.changes(["m2"], start, start + 24 * HOUR, seen) == {}
    # a window starting inside the hour still hears of it
    assert await historian.changes(["m1"], start + 5 * HOUR + 60 * S, start + 6 * HOUR,
                                   seen) == {"m1": start + 5 * HOUR}  # fmt: skip
    # once seen, the same changes are not reported again
    now = await historian.version()
    assert await historian.changes(["m1", "m2"], start, start + 24 * HOUR, now) == {}


async def test_a_replayed_write_is_a_change_again(historian: Historian) -> None:
    """The version tells what was written after a reader looked, replays included: a reader
    recomputes once more, never misses one."""
    sample = good("m1", "state", 0, 1)
    await historian.write_samples([sample])
    seen = await historian.version()
    await historian.write_samples([sample])
    assert await historian.changes(["m1"], T0 - HOUR, T0 + HOUR, seen) == {"m1": T0 - T0 % HOUR}
