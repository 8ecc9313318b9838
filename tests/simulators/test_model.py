"""The behaviour model and its ground truth: deterministic, and every identity exact."""

from __future__ import annotations

import json
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smkit.errors import ConfigError
from smkit.plant import parse_plant
from smkit.simulators.events import Cycle, StateChange
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario, Scenario, load_scenario, scenario_problems
from smkit.simulators.truth import ShiftTruth, ground_truth

SCENARIOS = Path(__file__).parents[2] / "smkit" / "simulators" / "scenarios"
HOUR = 3600.0

PLANT = """\
site:
  id: s
  timezone: Europe/Berlin
  calendar: c
  areas:
    - id: a
      lines:
        - id: l1
          machines:
            - id: m1
              products:
                - {id: p, ideal_cycle_time_s: 20}
                - {id: q, ideal_cycle_time_s: 7.5, units_per_cycle: 4}
            - id: m2
              products: [{id: p, ideal_cycle_time_s: 11}]
        - id: l2
          machines:
            - {id: f1, products: [{id: p, ideal_cycle_time_s: 30}]}
            - {id: f2, products: [{id: p, ideal_cycle_time_s: 33}]}
            - {id: f3, products: [{id: p, ideal_cycle_time_s: 29}]}
calendars:
  c:
    shifts:
      - {id: A, start: "06:00", end: "14:00", breaks: [{start: "10:00", end: "10:20"}]}
      - {id: B, start: "14:00", end: "22:00"}
      - {id: N, start: "22:00", end: "06:00", days: [mon, tue, wed, thu, sat]}
reasons:
  - {code: F1, label: {vi: "Hỏng", en: "Failure"}, category: unplanned_down, is_failure: true}
  - {code: F2, label: {vi: "Kẹt", en: "Jam"}, category: unplanned_down, is_failure: true}
  - {code: CO, label: {vi: "Chuyển đổi", en: "Changeover"}, category: setup}
"""


def loaded(machines: dict[str, object], series: dict[str, object] | None = None) -> LoadedScenario:
    plant = parse_plant(PLANT)
    scenario = Scenario.model_validate(
        {
            "name": "t",
            "title": {"vi": "thử", "en": "test"},
            "plant": "plant.yaml",
            "start": "2026-03-27T05:00:00",  # Friday; the clocks go forward on Sunday
            "machines": machines,
            "series": series or {},
        }
    )
    assert scenario_problems(scenario, plant) == []
    return LoadedScenario(scenario, plant, Path("scenario.yaml"))


def plain(product: str = "p", **extra: object) -> dict[str, object]:
    return {"orders": [{"product": product, "quantity": 100}], **extra}


EVERY = {"m1": plain(), "m2": plain(), "f1": plain(), "f2": plain(), "f3": plain()}


def test_same_seed_gives_byte_identical_log_and_truth_and_other_seeds_differ() -> None:
    scenario = load_scenario(SCENARIOS / "cnc-cell" / "scenario.yaml")
    first, again, other = (simulate(scenario, seed, 2 * 24 * HOUR) for seed in (7, 7, 8))
    assert first.json_lines() == again.json_lines()
    truth = [json.dumps(t.as_json(), sort_keys=True) for t in ground_truth(first)]
    assert truth == [json.dumps(t.as_json(), sort_keys=True) for t in ground_truth(again)]
    assert first.json_lines() != other.json_lines()


def check_identities(truth: ShiftTruth) -> None:
    """The identities every shift of every machine satisfies, exactly."""
    assert truth.planned_ns == (
        truth.running_ns + truth.breakdown_ns + truth.setup_ns + truth.small_stop_ns + truth.idle_ns
    )
    assert truth.running_ns == truth.speed_loss_ns + truth.ideal_total_ns
    assert (
        truth.ideal_total_ns
        == truth.valuable_ns + truth.startup_reject_ns + truth.process_reject_ns
    )
    assert truth.total == truth.good + truth.startup_rejects + truth.process_rejects
    assert truth.speed_loss_ns >= 0  # cycles are never faster than ideal
    kpis = truth.kpis()
    for name in ("availability", "performance", "quality", "oee", "availability_nakajima"):
        value = kpis[name]
        assert value is None or 0 <= value <= 1, (name, value)
    if truth.total and truth.running_ns and len(truth.products) == 1:
        a, p, q = kpis["availability"], kpis["performance"], kpis["quality"]
        assert a is not None and p is not None and q is not None
        assert a * p * q == kpis["oee"]  # exact, in fractions
        an, pn = kpis["availability_nakajima"], kpis["performance_nakajima"]
        assert an is not None and pn is not None
        assert an * pn * q == kpis["oee"]


behaviours = st.fixed_dictionaries(
    {
        "speed": st.floats(0.5, 1.0),
        "cycle_jitter": st.floats(0.0, 0.3),
        "scrap_rate": st.floats(0.0, 0.2),
        "failures": st.lists(
            st.fixed_dictionaries(
                {
                    "reason": st.sampled_from(["F1", "F2"]),
                    "mtbf": st.floats(600, 20_000),
                    "mttr": st.floats(30, 3_000),
                }
            ),
            max_size=2,
        ),
        "micro_stops": st.none()
        | st.fixed_dictionaries({"every": st.floats(120, 5_000), "lasting": st.floats(5, 200)}),
        "slow_periods": st.none()
        | st.fixed_dictionaries(
            {
                "every": st.floats(600, 10_000),
                "lasting": st.floats(60, 3_000),
                "speed": st.floats(0.3, 1),
            }
        ),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    behaviour=behaviours, mix=st.booleans(), seed=st.integers(0, 2**32), buffer=st.integers(4, 40)
)
def test_identities_hold_on_every_generated_shift(
    behaviour: dict[str, object], mix: bool, seed: int, buffer: int
) -> None:
    orders = (
        [{"product": "p", "quantity": 40}, {"product": "q", "quantity": 80}]
        if mix
        else [{"product": "p", "quantity": 50}]
    )
    changeover = {"duration": 600, "reason": "CO", "startup_rejects": 2}
    machines = {
        "m1": {**behaviour, "orders": orders, "changeover": changeover},
        "m2": {**behaviour, "orders": [{"product": "p", "quantity": 30}]},
        **{
            name: {**behaviour, "orders": [{"product": "p", "quantity": 500}]}
            for name in ("f1", "f2", "f3")
        },
    }
    log = simulate(loaded(machines, {"l2": {"buffer": buffer}}), seed, 3 * 24 * HOUR)
    truths = ground_truth(log)
    # Friday 05:00 plus 72 hours: the end of Thursday's night, Friday A and B, Saturday A, B and N
    # (which loses an hour to the clock change), Sunday A and B; it ends at Monday 06:00 CEST.
    assert len(truths) == 5 * 8
    for truth in truths:
        check_identities(truth)
    instants = [event.ts for event in log.events]
    instants += [event.start for event in log.events if isinstance(event, Cycle)]
    assert all(instant % 1_000_000 == 0 for instant in instants), "instants are whole ms"


def test_series_line_conserves_parts_and_gets_starved_and_blocked() -> None:
    machines = {
        **EVERY,
        "f1": plain(**{"failures": [{"reason": "F1", "mtbf": 1800, "mttr": 300}]}),
        "f2": plain(),
        "f3": plain(**{"failures": [{"reason": "F2", "mtbf": 2400, "mttr": 400}]}),
    }
    machines = {
        name: {**b, "orders": [{"product": "p", "quantity": 10_000}]}
        for name, b in machines.items()
    }
    log = simulate(loaded(machines, {"l2": {"buffer": 10}}), 3, 24 * HOUR)
    made = {
        m: sum(c.good for c in log.events if isinstance(c, Cycle) and c.machine == m)
        for m in ("f1", "f2", "f3")
    }
    used = {
        m: sum(c.units for c in log.events if isinstance(c, Cycle) and c.machine == m)
        for m in ("f2", "f3")
    }
    assert (
        used["f2"] <= made["f1"] <= used["f2"] + 10 + 1
    )  # what f1 made is in f2's hands or the buffer
    assert used["f3"] <= made["f2"] <= used["f3"] + 10 + 1
    causes = {(e.machine, e.cause) for e in log.events if isinstance(e, StateChange)}
    assert ("f2", "starved") in causes and ("f2", "blocked") in causes
    assert ("f1", "blocked") in causes and ("f3", "starved") in causes


def test_changeovers_and_startup_rejects_follow_the_plan() -> None:
    machines = {
        **EVERY,
        "m1": {
            "orders": [{"product": "p", "quantity": 30}, {"product": "q", "quantity": 40}],
            "changeover": {"duration": 900, "reason": "CO", "startup_rejects": 3},
        },
    }
    log = simulate(loaded(machines), 1, 8 * HOUR)
    m1 = [e for e in log.events if e.machine == "m1"]
    setups = [e for e in m1 if isinstance(e, StateChange) and e.cause == "changeover"]
    assert setups and all(e.reason == "CO" for e in setups)
    after = [e for e in m1 if isinstance(e, Cycle) and e.ts > setups[0].ts][:1]
    assert after[0].startup_rejects == 3 and after[0].product == "q" and after[0].units == 4


def test_no_cycle_crosses_the_end_of_a_planned_interval() -> None:
    log = simulate(loaded(EVERY), 5, 2 * 24 * HOUR)
    for machine, windows in log.windows.items():
        assert windows is not None
        planned = [interval for window in windows for interval in window.planned]
        for cycle in (c for c in log.events if isinstance(c, Cycle) and c.machine == machine):
            assert any(a <= cycle.start and cycle.ts <= b for a, b in planned)


def test_the_spring_clock_change_shortens_the_night_shift() -> None:
    truths = ground_truth(simulate(loaded(EVERY), 1, 3 * 24 * HOUR))
    nights = [t for t in truths if t.machine == "m1" and t.shift == "N"]
    hours = [(t.day, t.planned_ns // (3600 * 10**9)) for t in nights]
    assert hours == [("2026-03-26", 1), ("2026-03-28", 7)]
    saturday = nights[1]
    assert Fraction(saturday.running_ns, saturday.planned_ns) > Fraction(9, 10)


def test_a_broken_scenario_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "plant.yaml").write_text(PLANT)
    (tmp_path / "scenario.yaml").write_text(
        textwrap.dedent(
            """\
            name: broken
            title: {vi: hỏng, en: broken}
            plant: plant.yaml
            start: 2026-03-27T05:00:00
            machines:
              m1: {speed: 1.4, orders: [{product: p, quantity: 5}]}
              m2:
                orders: [{product: nope, quantity: 5}]
                failures: [{reason: CO, mtbf: 1h, mttr: 5m}]
            """
        )
    )
    with pytest.raises(ConfigError) as caught:
        load_scenario(tmp_path / "scenario.yaml")
    assert caught.value.problems == [
        f"{tmp_path / 'scenario.yaml'}:6:8: machines.m1.speed: must be <= 1, got 1.4"
    ]
    (tmp_path / "scenario.yaml").write_text(
        (tmp_path / "scenario.yaml").read_text().replace("speed: 1.4, ", "")
    )
    with pytest.raises(ConfigError) as caught:
        load_scenario(tmp_path / "scenario.yaml")
    lines = caught.value.problems
    assert any(
        line.endswith("machines: machine 'f1' of the plant has no behaviour here") for line in lines
    )
    assert any("machines.m2.orders[0].product: unknown product 'nope'" in line for line in lines)
    assert any(
        "machines.m2.failures[0].reason: needs a reason code of category 'unplanned_down'" in line
        for line in lines
    )
