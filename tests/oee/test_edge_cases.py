"""The edge cases of reference/oee.md §7.3 that real plants produce, each with a hand-made case."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np

from smkit.core.sample import Sample
from smkit.oee.elements import flags, kpis
from smkit.oee.engine import compute
from smkit.oee.increments import Plausible, increments
from smkit.oee.inputs import machine_data
from smkit.oee.model import ProductSpec, Settings
from smkit.oee.periods import hour_periods, shift_periods
from smkit.oee.rollup import PeriodResult, roll_up
from smkit.oee.runner import settings_of
from smkit.plant import parse_plant
from smkit.plant.machine import Counter, StateCategory
from smkit.plant.schedule import to_utc_ns
from tests.oee.helpers import CHANGE, FAULT, MIN, SETTINGS, T0, S, cumulative, machine, period

RUNNING, IDLE = StateCategory.RUNNING, StateCategory.IDLE
HOUR = 60 * MIN

BERLIN_PLANT = """\
site:
  id: s1
  timezone: Europe/Berlin
  calendar: nights
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: m1
              products: [{id: p1, ideal_cycle_time_s: 30}]
calendars:
  nights:
    shifts:
      - {id: N, start: "22:00", end: "06:00", breaks: [{start: "04:00", end: "04:30"}]}
"""


def berlin(day: dt.date, clock: str) -> int:
    return to_utc_ns(
        dt.datetime.combine(day, dt.time.fromisoformat(clock)), ZoneInfo("Europe/Berlin")
    )


def test_overnight_shifts_over_the_dst_changes_last_what_the_wall_clock_says() -> None:
    plant = parse_plant(BERLIN_PLANT)
    spring, autumn = dt.date(2026, 3, 28), dt.date(2026, 10, 24)  # nights into the changes
    for night, hours in ((spring, 7), (autumn, 9), (dt.date(2026, 6, 1), 8)):
        start, end = berlin(night, "21:00"), berlin(night + dt.timedelta(days=1), "07:00")
        periods = [p for p in shift_periods(plant, "m1", start, end) if p.key[2] == "N"]
        assert [p.key[1] for p in periods] == [night.isoformat()], "it belongs to its start day"
        [shift] = periods
        assert shift.end - shift.start == hours * HOUR
        running = machine([(start, RUNNING, "")])
        [e] = compute(running, [shift], SETTINGS, end)
        assert e.planned_ns == hours * HOUR - 30 * MIN == e.running_ns
        assert kpis(e)["availability"].value == 1


def test_each_real_hour_of_the_autumn_dst_night_is_one_row() -> None:
    plant = parse_plant(BERLIN_PLANT)
    night = dt.date(2026, 10, 24)
    start, end = berlin(night, "21:00"), berlin(night + dt.timedelta(days=1), "07:00")
    shifts = [p for p in shift_periods(plant, "m1", start, end) if p.key[2] == "N"]
    hours = hour_periods(shifts, "Europe/Berlin")
    results = [PeriodResult("m1", plant.places()["m1"], p.key, p.start, p.end, e)
               for p, e in zip(hours, compute(machine([(start, RUNNING, "")]), hours, SETTINGS,
                                              end), strict=True)]  # fmt: skip
    rows = roll_up(results, "machine", "hour")
    assert len(rows) == 9 == len(hours), "9 real hours, 9 rows"
    labels = [row.bucket for row in rows]
    assert "2026-10-25T02:00+02:00" in labels and "2026-10-25T02:00+01:00" in labels
    assert all(row.end - row.start == HOUR for row in rows)


def test_a_counter_that_wraps_and_one_reset_inside_one_gap_are_told_apart() -> None:
    ts = np.array([0, 60 * S, 120 * S, 180 * S], dtype=np.int64)
    wrapping = np.array([65_530, 65_534, 4, 10], dtype=np.int64)
    limit = Plausible(1 / S, 1)  # at most one unit a second
    wrapped = increments(ts, wrapping, Counter(rollover_bits=16), limit=limit)
    assert wrapped.units.tolist() == [4, 6, 6] and wrapped.anomalies == 0
    reset = np.array([65_000, 65_040, 30, 90], dtype=np.int64)  # 30 after a drop of 65,010
    after_reset = increments(ts, reset, Counter(rollover_bits=16), limit=limit)
    assert after_reset.units.tolist() == [40, 30, 60], "no wrap fits: a reset, credited 30"
    assert after_reset.anomalies == 1, "a reset without an order change is reported"
    at_order = increments(ts, reset, Counter(rollover_bits=16, resets_on_order_change=True),
                          limit=limit, order_changes=np.array([100 * S]))  # fmt: skip
    assert at_order.units.tolist() == [40, 30, 60] and at_order.anomalies == 0


def test_a_64_bit_counter_that_drops_was_reset_it_cannot_have_wrapped() -> None:
    ts = np.array([0, 60 * S, 120 * S], dtype=np.int64)
    dropped = increments(ts, np.array([10, 20, 5], dtype=np.int64), Counter(rollover_bits=64))
    assert dropped.units.tolist() == [10, 5] and dropped.anomalies == 1


def test_an_implausible_jump_is_left_out_and_reported_not_counted() -> None:
    start = T0
    data = machine(
        [(start, RUNNING, "")],
        total=increments(
            np.array([start, start + MIN, start + 2 * MIN], dtype=np.int64),
            np.array([0, 60, 5_000_060], dtype=np.int64),
            Counter(),
            limit=Plausible(1 / S, 1),
        ),
    )
    [e] = compute(data, [period(start, start + HOUR)], SETTINGS, start + 2 * HOUR)
    assert e.total == 60 and e.counter_anomalies == 1 and e.anomalous_units == 5_000_000
    assert any("implausible counter jumps" in flag for flag in flags(e))


def test_no_data_at_all_gives_no_value_with_a_reason_not_zero_or_a_hundred() -> None:
    [e] = compute(machine([]), [period(T0, T0 + HOUR)], SETTINGS, T0 + 2 * HOUR)
    k = kpis(e)
    assert e.unknown_ns == e.planned_ns == HOUR
    for name in ("availability", "performance", "quality", "oee"):
        assert k[name].value is None and k[name].reason, name
    assert k["oee"].reason == "no machine state known in planned production time"


def test_a_window_of_planned_downtime_only_has_no_value_and_says_why() -> None:
    empty = period(T0, T0 + HOUR, (T0, T0 + HOUR))
    [e] = compute(machine([(T0, RUNNING, "")]), [empty], SETTINGS, T0 + 2 * HOUR)
    assert e.planned_ns == 0 and e.outside_running_ns == HOUR
    assert kpis(e)["availability"].reason == "no planned production time"


def test_performance_above_100_percent_is_reported_not_clipped() -> None:
    data = machine(
        [(T0, RUNNING, "")],
        total=cumulative((T0, 0), (T0 + HOUR, 7_200)),  # 2 a second, ideal 1 s
    )
    [e] = compute(data, [period(T0, T0 + HOUR)], SETTINGS, T0 + 2 * HOUR)
    assert kpis(e)["performance"].value == 2
    assert e.reduced_speed_ns == -HOUR
    assert any("above 100 %" in flag for flag in flags(e))


def test_units_with_no_ideal_cycle_time_count_in_quality_but_leave_performance_unknown() -> None:
    data = machine(
        [(T0, RUNNING, "")],
        total=cumulative((T0, 0), (T0 + HOUR, 100)),
        products=[(T0, "mystery")],
        catalog={"p1": ProductSpec(S), "p2": ProductSpec(2 * S)},
    )
    [e] = compute(data, [period(T0, T0 + HOUR)], SETTINGS, T0 + 2 * HOUR)
    k = kpis(e)
    assert e.unpriced_count == 100 and k["quality"].value == 1
    assert k["performance"].value is None
    assert k["performance"].reason == "units made without an ideal cycle time"


def test_a_stop_across_a_shift_change_is_split_and_failures_count_where_they_began() -> None:
    first, second = period(T0, T0 + 8 * HOUR), period(T0 + 8 * HOUR, T0 + 16 * HOUR)
    data = machine([(T0, RUNNING, ""), (T0 + 7 * HOUR, StateCategory.UNPLANNED_DOWN, "F1"),
                    (T0 + 9 * HOUR, RUNNING, "")])  # fmt: skip
    a, b = compute(data, [first, second], SETTINGS, T0 + 20 * HOUR)
    assert (a.breakdown_ns, b.breakdown_ns) == (HOUR, HOUR)
    assert (a.failures, a.failure_ns, b.failures) == (1, 2 * HOUR, 0)
    assert kpis(a)["mttr_s"].value == Fraction(2 * 3600)


def test_an_operator_reason_entered_late_applies_to_the_whole_stop() -> None:
    plant = parse_plant(BERLIN_PLANT.replace("products: [{id: p1, ideal_cycle_time_s: 30}]", """\
products: [{id: p1, ideal_cycle_time_s: 30}]
              state_map: modes
              signals:
                - {name: mode, role: state, type: str}
                - {name: why, role: reason}""") + """\
state_maps:
  modes: {kind: value, values: {AUTO: running, STOP: idle}}
reasons:
  - {code: E7, label: {vi: "Hỏng", en: "Broken"}, category: unplanned_down, is_failure: true}
""")  # fmt: skip
    m1 = next(m for _, m in plant.machines())
    samples = [
        Sample("m1", "mode", T0, "AUTO"),
        Sample("m1", "mode", T0 + HOUR, "STOP"),
        Sample("m1", "why", T0 + HOUR + 10 * MIN, "E7"),  # entered 10 minutes into the stop
        Sample("m1", "mode", T0 + 2 * HOUR, "AUTO"),
        Sample("m1", "why", T0 + 2 * HOUR, ""),
        Sample("m1", "mode", T0 + 3 * HOUR, "HALT"),  # not in the state map
    ]
    data = machine_data(m1, plant.state_maps["modes"], samples)
    [e] = compute(data, [period(T0, T0 + 4 * HOUR)], settings_of(plant), T0 + 5 * HOUR)
    assert e.breakdown_ns == HOUR and e.failures == 1
    assert e.unknown_ns == HOUR and e.unknown_states == {"HALT": 1}
    assert any("'HALT' (1)" in flag for flag in flags(e)), "the unknown state value is named"


def test_a_stop_exactly_at_the_threshold_is_small_and_a_tiny_run_splits_two_stops() -> None:
    data = machine([
        (T0, RUNNING, ""), (T0 + 10 * MIN, IDLE, ""), (T0 + 12 * MIN, RUNNING, ""),
        (T0 + 20 * MIN, IDLE, ""), (T0 + 21 * MIN, RUNNING, ""), (T0 + 21 * MIN + S, IDLE, ""),
        (T0 + 22 * MIN + S, RUNNING, ""),
    ])  # fmt: skip
    [e] = compute(data, [period(T0, T0 + HOUR)], SETTINGS, T0 + 2 * HOUR)
    assert e.small_stop_ns == 2 * MIN + 2 * MIN, "2 min (= threshold) and two 1-min stops"
    assert e.idle_ns == 0 and e.running_ns == HOUR - 4 * MIN


def test_no_failure_gives_no_mtbf_or_mttr_and_says_why() -> None:
    [e] = compute(machine([(T0, RUNNING, "")]), [period(T0, T0 + HOUR)], SETTINGS, T0 + HOUR)
    k = kpis(e)
    for name in ("mtbf_s", "mttr_s", "mttf_s"):
        assert k[name].value is None and k[name].reason == "no failure"


def test_time_after_now_is_not_counted_yet() -> None:
    [e] = compute(machine([(T0, RUNNING, "")]), [period(T0, T0 + 8 * HOUR)], SETTINGS,
                  T0 + 3 * HOUR)  # fmt: skip
    assert e.planned_ns == e.running_ns == 3 * HOUR and e.all_ns == 3 * HOUR


def test_delta_counters_sum_their_messages_and_refuse_negative_ones() -> None:
    ts = np.array([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 3 * MIN], dtype=np.int64)
    deltas = increments(ts, np.array([16, -5, 16, 32], dtype=np.int64), Counter(kind="delta"))
    assert deltas.units.tolist() == [16, 32], "a repeated time keeps the last message"
    assert deltas.anomalies == 1 and deltas.anomalous_units == 5


TOWER = """\
site:
  id: s1
  timezone: Asia/Kolkata
  calendar: day
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: m1
              state_map: tower
              products: [{id: p1, ideal_cycle_time_s: 1}]
              signals:
                - {name: green, role: state, type: bool}
                - {name: red, role: state, type: bool}
state_maps:
  tower:
    kind: flags
    rules: [{signal: red, category: unplanned_down}, {signal: green, category: running}]
calendars:
  day: {shifts: [{id: D, start: "09:00", end: "17:00"}]}
"""


def test_a_tower_light_machine_in_a_half_hour_zone_is_read_and_cut_into_local_hours() -> None:
    plant = parse_plant(TOWER)
    start = to_utc_ns(dt.datetime(2026, 11, 23, 9, 0), ZoneInfo("Asia/Kolkata"))
    samples = [Sample("m1", "green", start, True), Sample("m1", "red", start, False),
               Sample("m1", "red", start + 90 * MIN, True),
               Sample("m1", "red", start + 100 * MIN, False)]  # fmt: skip
    m1 = next(m for _, m in plant.machines())
    data = machine_data(m1, plant.state_maps["tower"], samples)
    shifts = [p for p in shift_periods(plant, "m1", start, start + 8 * HOUR) if p.key[2] == "D"]
    hours = hour_periods(shifts, "Asia/Kolkata")
    assert [p.key[1] for p in hours][:2] == ["2026-11-23T09:00+05:30", "2026-11-23T10:00+05:30"]
    assert all(p.end - p.start == HOUR for p in hours), "local hours at :30 UTC"
    results = compute(data, hours, settings_of(plant), start + 9 * HOUR)
    assert [r.idle_ns + r.small_stop_ns for r in results[:3]] == [0, 10 * MIN, 0]
    assert sum(r.running_ns for r in results) == 8 * HOUR - 10 * MIN


def test_a_state_not_confirmed_within_the_max_hold_becomes_unknown_in_every_window() -> None:
    held = Settings(reasons=SETTINGS.reasons, small_stop_ns=SETTINGS.small_stop_ns,
                    max_hold_ns=HOUR)  # fmt: skip
    data = machine([(T0, RUNNING, ""), (T0 + 30 * MIN, RUNNING, ""), (T0 + 5 * HOUR, IDLE, "")])
    day = [period(T0, T0 + 4 * HOUR), period(T0 + 4 * HOUR, T0 + 8 * HOUR)]
    first, second = compute(data, day, held, T0 + 8 * HOUR)
    assert first.running_ns == 90 * MIN, "the repeated sample at 30 min confirms the state"
    assert first.unknown_ns == 150 * MIN
    assert second.idle_ns == HOUR and second.running_ns == 0, "idle from 5 h, confirmed for 1 h"
    assert second.unknown_ns == 3 * HOUR
    assert compute(data, day[1:], held, T0 + 8 * HOUR) == [second], "the same alone"
    without = compute(data, day, SETTINGS, T0 + 8 * HOUR)
    assert without[0].running_ns == 4 * HOUR, "off by default: a state holds until it changes"


def test_unknown_time_is_a_loss_by_default_or_left_out_of_planned_time() -> None:
    data = machine([(T0 + HOUR, RUNNING, "")])  # nothing known for the first hour
    [e] = compute(data, [period(T0, T0 + 4 * HOUR)], SETTINGS, T0 + 5 * HOUR)
    assert e.unknown_ns == HOUR
    assert kpis(e)["availability"].value == Fraction(3, 4)
    excluded = kpis(e, exclude_unknown=True)
    assert excluded["availability"].value == 1 and excluded["availability_nakajima"].value == 1
    assert kpis(e)["availability_nakajima"].value == Fraction(3, 4)


def test_a_failure_whose_reason_changes_midway_is_one_failure_of_its_whole_length() -> None:
    other = FAULT.model_copy(update={"code": "F2"})
    settings = Settings(reasons={"F1": FAULT, "F2": other}, small_stop_ns=2 * MIN)
    data = machine([(T0, RUNNING, ""), (T0 + HOUR, StateCategory.UNPLANNED_DOWN, "F1"),
                    (T0 + HOUR + 10 * MIN, StateCategory.UNPLANNED_DOWN, "F2"),
                    (T0 + HOUR + 30 * MIN, RUNNING, "")])  # fmt: skip
    [e] = compute(data, [period(T0, T0 + 4 * HOUR)], settings, T0 + 5 * HOUR)
    assert (e.failures, e.failure_ns, e.breakdown_ns) == (1, 30 * MIN, 30 * MIN)
    assert e.downtime_by_reason == {"F1": 10 * MIN, "F2": 20 * MIN}
    assert kpis(e)["mtbf_s"].value == Fraction(4 * 3600)


def test_a_changeover_reason_is_setup_or_a_stop_as_the_reason_catalog_says() -> None:
    """The same stop under two catalogs: a setup (an availability loss in both conventions), or
    a plain stop (idling: an ISO availability loss, a Nakajima performance loss)."""
    data = machine([(T0, RUNNING, ""), (T0 + HOUR, IDLE, "C1"), (T0 + 2 * HOUR, RUNNING, "")])
    as_stop = CHANGE.model_copy(update={"category": StateCategory.IDLE})
    window = [period(T0, T0 + 4 * HOUR)]
    [setup] = compute(data, window, SETTINGS, T0 + 5 * HOUR)
    [idle] = compute(data, window, Settings(reasons={"C1": as_stop}), T0 + 5 * HOUR)
    assert (setup.setup_ns, setup.idle_ns, idle.setup_ns, idle.idle_ns) == (HOUR, 0, 0, HOUR)
    for e in (setup, idle):
        assert kpis(e)["availability"].value == Fraction(3, 4)
    assert kpis(setup)["availability_nakajima"].value == Fraction(3, 4)
    assert kpis(idle)["availability_nakajima"].value == 1


def test_not_scheduled_inside_planned_time_is_a_stop_and_outside_it_counts_nothing() -> None:
    data = machine([(T0, StateCategory.NOT_SCHEDULED, ""), (T0 + HOUR, RUNNING, "")])
    planned_later = period(T0, T0 + 2 * HOUR, (T0, T0 + 30 * MIN))
    [e] = compute(data, [planned_later], SETTINGS, T0 + 3 * HOUR)
    assert e.planned_ns == 90 * MIN and e.idle_ns == 30 * MIN and e.running_ns == HOUR


def test_a_delta_reject_counter_beside_a_cumulative_total_counts_each_unit_once() -> None:
    rejects = increments(np.array([T0 + 10 * MIN, T0 + 20 * MIN], dtype=np.int64),
                         np.array([3, 2], dtype=np.int64), Counter(kind="delta"))  # fmt: skip
    data = machine([(T0, RUNNING, "")], total=cumulative((T0, 0), (T0 + HOUR, 100)),
                   rejects=rejects)  # fmt: skip
    [e] = compute(data, [period(T0, T0 + HOUR)], SETTINGS, T0 + 2 * HOUR)
    assert (e.total, e.good, e.rejects) == (100, 95, 5)
