"""A period computed alone equals the same period inside a longer window, field by field and
flag by flag, read from a real (SQLite) historian through the runner: stops of any length
(minutes to weeks) are measured to their real end, flags belong to the period they happened
in, and nothing changes when the clock moves on."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.oee.elements import Elements, flags, kpis
from smkit.oee.rollup import PeriodResult
from smkit.oee.runner import period_results
from smkit.plant import Plant, parse_plant

S = 10**9
MIN = 60 * S
HOUR = 60 * MIN
DAY = 24 * HOUR
T0 = 1_795_392_000 * S  # Monday 2026-11-23 00:00 UTC
SPAN = 21 * DAY  # three weeks of data, weekends included

PLANT = """\
site:
  id: s1
  timezone: UTC
  calendar: c
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: m1
              state_map: modes
              products: [{id: p1, ideal_cycle_time_s: 20}]
              signals:
                - {name: mode, role: state, type: str}
                - {name: why, role: reason, type: str}
                - {name: made, role: count_total}
                - {name: product, role: product, type: str}
                - {name: qa_scrap, role: late_scrap}
reasons:
  - {code: F1, label: {vi: Hỏng, en: Fault}, category: unplanned_down, is_failure: true}
state_maps:
  modes: {kind: value, values: {RUN: running, STOP: unplanned_down, IDLE: idle, SET: setup}}
calendars:
  c:
    shifts:
      - {id: A, start: "00:00", end: "08:00", days: [mon, tue, wed, thu, fri]}
      - {id: B, start: "08:00", end: "16:00", days: [mon, tue, wed, thu, fri]}
      - {id: C, start: "16:00", end: "00:00", days: [mon, tue, wed, thu, fri]}
"""

lengths = st.one_of(
    st.integers(10, 10 * MIN // S),  # small stops
    st.integers(10 * MIN // S, 12 * HOUR // S),  # long stops
    st.integers(12 * HOUR // S, 14 * DAY // S),  # down for days, over weekends
)
stops = st.lists(
    st.tuples(st.integers(0, SPAN // S), lengths, st.sampled_from(["STOP", "IDLE", "SET"]),
              st.sampled_from(["", "F1", "F1-late"])),
    max_size=12,
)  # fmt: skip
events = st.lists(
    st.tuples(st.integers(0, SPAN // S),
              st.sampled_from(["HALT", "made", "jump", "p9", "p1", "scrap"])),
    max_size=40,
)  # fmt: skip


def samples_of(
    stop_list: list[tuple[int, int, str, str]], extra: list[tuple[int, str]]
) -> list[Sample]:
    """A machine that runs except for the stops, reports other things at ``extra`` times, and
    whose data ends with it running (so the clock moving on changes nothing)."""
    out = [Sample("m1", "mode", T0, "RUN"), Sample("m1", "product", T0, "p1")]
    for start_s, length_s, state, reason in stop_list:
        start = T0 + start_s * S
        out.append(Sample("m1", "mode", start, state))
        if reason == "F1":
            out.append(Sample("m1", "why", start, "F1"))
        elif reason == "F1-late":  # entered by an operator during the stop
            out.append(Sample("m1", "why", start + length_s * S // 2, "F1"))
        out.append(Sample("m1", "mode", start + length_s * S, "RUN"))
        out.append(Sample("m1", "why", start + length_s * S, ""))
    made = 0
    for at_s, what in sorted(extra):
        at = T0 + at_s * S
        if what == "HALT":  # a state value the map does not list
            out.append(Sample("m1", "mode", at, "HALT"))
            out.append(Sample("m1", "mode", at + 30 * S, "RUN"))
        elif what in ("made", "jump"):
            made += 10 if what == "made" else 100_000  # a jump no machine can make
            out.append(Sample("m1", "made", at, made))
        elif what in ("p9", "p1"):  # p9 has no ideal cycle time
            out.append(Sample("m1", "product", at, what))
        else:
            out.append(Sample("m1", "qa_scrap", at, 2))
    last = max(s.ts for s in out)
    out.append(Sample("m1", "mode", last + S, "RUN"))
    return list({(s.signal, s.ts): s for s in out}.values())


async def results(plant: Plant, db: Path, window: tuple[int, int], now: int) -> list[PeriodResult]:
    historian = SqliteHistorian(db)
    try:
        return await period_results(plant, historian, *window, horizon_ns=now)
    finally:
        await historian.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stops, events, st.integers(0, 20))
@example([(10 * 3600, 2 * 86400, "STOP", "F1")], [], 0)  # down two days from Monday 10:00
@example([(4 * 86400 + 20 * 3600, 67 * 3600, "STOP", "F1-late")], [], 0)  # over a weekend
@example(
    [],
    [
        (3600, "HALT"),
        (9 * 3600, "made"),
        (10 * 3600, "p9"),
        (10 * 3600 + 60, "made"),
        (5 * 86400 + 3600, "made"),
        (11 * 3600, "scrap"),
        (12 * 3600, "jump"),
    ],
    0,
)
def test_a_day_alone_equals_that_day_inside_three_weeks_and_does_not_change_with_the_clock(
    stop_list: list[tuple[int, int, str, str]], extra: list[tuple[int, str]], pick: int
) -> None:
    plant = parse_plant(PLANT)
    # most often the day a stop begins on, so that its end lies past the day's end
    day = stop_list[pick % len(stop_list)][0] * S // DAY if stop_list and pick < 15 else pick
    samples = samples_of(stop_list, extra)
    end_of_data = max(s.ts for s in samples)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "historian.db"

        async def run() -> tuple[list[PeriodResult], ...]:
            historian = SqliteHistorian(db)
            await historian.write_samples(samples)
            await historian.close()
            now = end_of_data + HOUR
            one_day = (T0 + day * DAY, T0 + (day + 1) * DAY)
            return (
                await results(plant, db, (T0, T0 + SPAN + 14 * DAY), now),
                await results(plant, db, one_day, now),
                await results(plant, db, one_day, now + 30 * DAY),
            )

        whole, alone, later = asyncio.run(run())
    shifts = {r.key: r.elements for r in whole if r.key[2] != "-"}
    alone_shifts = [r for r in alone if r.key[2] != "-"]
    for result in alone_shifts:
        inside = shifts[result.key]
        assert result.elements == inside, result.key
        assert flags(result.elements) == flags(inside)
        assert kpis(result.elements) == kpis(inside)
    if T0 + (day + 1) * DAY <= end_of_data + HOUR:  # a day that has come: done with
        assert [r.elements for r in later] == [r.elements for r in alone]


def test_each_flag_is_in_the_shift_it_happened_in_and_a_day_carries_their_sum() -> None:
    plant = parse_plant(PLANT)
    happenings = [
        (3600, "HALT"),  # Monday shift A: a state value the map does not list
        (9 * 3600, "made"), (10 * 3600, "p9"), (10 * 3600 + 60, "made"),  # B: unpriced units
        (10 * 3600 + 120, "p1"), (12 * 3600, "jump"),  # B: an implausible counter jump
        (17 * 3600, "scrap"),  # C: a late finding
        (5 * 86400 + 3600, "made"), (5 * 86400 + 7200, "scrap"),  # Saturday: outside planned time
    ]  # fmt: skip
    samples = samples_of([], happenings)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "historian.db"

        async def run() -> list[PeriodResult]:
            historian = SqliteHistorian(db)
            await historian.write_samples(samples)
            await historian.close()
            return await results(plant, db, (T0, T0 + 7 * DAY), T0 + 8 * DAY)

        found = asyncio.run(run())
    by_key = {(r.key[1], r.key[2]): r.elements for r in found}
    monday = "2026-11-23"
    assert by_key[(monday, "A")].unknown_states == {"HALT": 1}
    assert by_key[(monday, "B")].unpriced_count == 10
    assert by_key[(monday, "B")].counter_anomalies == 1
    assert by_key[(monday, "C")].good == -2 and by_key[(monday, "C")].rejects == 2
    saturday = [e for (day, shift), e in by_key.items() if day == "2026-11-28"]
    assert sum(e.outside_count for e in saturday) == 10
    assert sum(e.unapplied_adjustment for e in saturday) == 2
    elsewhere = [e for (day, shift), e in by_key.items() if (day, shift) != (monday, "A")]
    assert all(not e.unknown_states for e in elsewhere)
    assert sum(e.counter_anomalies for e in by_key.values()) == 1
    day_total = sum((e for (day, _), e in by_key.items() if day == monday), start=Elements())
    assert day_total.unknown_states == {"HALT": 1} and day_total.counter_anomalies == 1
    assert day_total.unpriced_count == 10 and day_total.rejects == 2
