"""The traps a new user falls into in plant.yaml: YAML 1.1 booleans as state-map keys, zeros
that mean "never", 24-hour shifts."""

from __future__ import annotations

import datetime as dt
import textwrap
from zoneinfo import ZoneInfo

import pytest

from smkit.core.sample import Sample
from smkit.errors import ConfigError
from smkit.oee.inputs import machine_data
from smkit.plant import StateCategory, ValueStateMap, parse_plant
from smkit.plant.schedule import shift_windows, to_utc_ns
from tests.plant.test_loader import MINIMAL

H = 3600 * 10**9

MODES = MINIMAL.replace(
    "              products: [{id: p1, ideal_cycle_time_s: 30}]\n",
    "              products: [{id: p1, ideal_cycle_time_s: 30}]\n"
    "              state_map: modes\n"
    "              signals: [{name: mode, role: state, type: str}]\n",
) + textwrap.dedent("""\
    state_maps:
      modes: {kind: value, values: {AUTO: running, ON: running, OFF: not_scheduled, no: idle,
                                    Yes: setup, 3: unplanned_down}}
      light: {kind: value, values: {true: running, false: idle}}
    """)  # fmt: skip


def test_on_off_yes_no_as_state_map_keys_are_the_texts_a_machine_sends() -> None:
    plant = parse_plant(MODES)
    modes = plant.state_maps["modes"]
    assert isinstance(modes, ValueStateMap)
    assert modes.values == {"AUTO": "running", "ON": "running", "OFF": "not_scheduled",
                            "no": "idle", "Yes": "setup", 3: "unplanned_down"}  # fmt: skip
    m1 = next(m for _, m in plant.machines())
    sent = [Sample("m1", "mode", n * H, value) for n, value in
            enumerate(["AUTO", "OFF", "no", "Yes", "ON", 3, "3"])]  # fmt: skip
    data = machine_data(m1, modes, sent)
    categories = [list(StateCategory)[code] for code in data.states.category.tolist()]
    assert categories == [StateCategory.RUNNING, StateCategory.NOT_SCHEDULED, StateCategory.IDLE,
                          StateCategory.SETUP, StateCategory.RUNNING,
                          StateCategory.UNPLANNED_DOWN, StateCategory.UNPLANNED_DOWN]  # fmt: skip


def test_true_and_false_keys_map_a_boolean_state_signal() -> None:
    plant = parse_plant(MODES)
    light = plant.state_maps["light"]
    assert isinstance(light, ValueStateMap)
    assert light.values == {"true": StateCategory.RUNNING, "false": StateCategory.IDLE}
    m1 = next(m for _, m in plant.machines())
    data = machine_data(m1, light, [Sample("m1", "mode", 0, True), Sample("m1", "mode", H, False)])
    categories = [list(StateCategory)[code] for code in data.states.category.tolist()]
    assert categories == [StateCategory.RUNNING, StateCategory.IDLE]


@pytest.mark.parametrize("key", ["startup_window", "every"])
def test_a_documented_zero_is_accepted(key: str) -> None:
    plant = parse_plant(MINIMAL + f"oee: {{{key}: 0}}\n")
    assert getattr(plant.oee, key) == 0
    plant = parse_plant(MINIMAL + f"oee: {{{key}: 0s}}\n")
    assert getattr(plant.oee, key) == 0


@pytest.mark.parametrize("key", ["small_stop_threshold", "lookback", "state_max_hold"])
def test_a_zero_that_means_nothing_is_still_refused(key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_plant(MINIMAL + f"oee: {{{key}: 0}}\n", "plant.yaml")
    assert caught.value.problems == [f"plant.yaml:11:7: oee.{key}: must be > 0, got 0"]


def test_a_negative_documented_zero_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_plant(MINIMAL + "oee: {every: -5m}\n", "plant.yaml")
    assert "oee.every: must be a duration" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("start", "end"), [('"06:00"', '"06:00"'), ('"00:00"', '"24:00"'), ("00:00", "24:00")]
)
def test_a_24_hour_shift_can_be_written(start: str, end: str) -> None:
    text = MINIMAL.replace("  timezone: Asia/Ho_Chi_Minh\n",
                           "  timezone: Asia/Ho_Chi_Minh\n  calendar: c\n")  # fmt: skip
    text += f"calendars:\n  c: {{shifts: [{{id: day, start: {start}, end: {end}}}]}}\n"
    plant = parse_plant(text)
    shift = plant.calendars["c"].shifts[0]
    assert shift.length_minutes == 24 * 60
    zone = "Asia/Ho_Chi_Minh"
    begin = to_utc_ns(dt.datetime(2026, 11, 23), ZoneInfo(zone))
    windows = shift_windows(plant.calendars["c"], zone, begin, begin + 3 * 24 * H)
    whole = [w for w in windows if w.end - w.start == 24 * H]
    assert len(whole) >= 2 and all(w.planned_ns == 24 * H for w in whole)
    assert all(w in whole for w in windows[1:-1])
    assert [w.day for w in whole] == sorted({w.day for w in whole})


def test_two_12_hour_shifts_across_midnight_and_a_24_hour_one_overlap() -> None:
    text = MINIMAL.replace("  timezone: Asia/Ho_Chi_Minh\n",
                           "  timezone: Asia/Ho_Chi_Minh\n  calendar: c\n")  # fmt: skip
    good = text + ('calendars:\n  c: {shifts: [{id: day, start: "06:00", end: "18:00"}, '
                   '{id: night, start: "18:00", end: "06:00"}]}\n')  # fmt: skip
    assert [s.length_minutes for s in parse_plant(good).calendars["c"].shifts] == [720, 720]
    bad = text + ('calendars:\n  c: {shifts: [{id: all, start: "06:00", end: "06:00"}, '
                  '{id: night, start: "18:00", end: "06:00"}]}\n')  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        parse_plant(bad, "plant.yaml")
    assert "overlaps shifts[0]" in caught.value.problems[0]
