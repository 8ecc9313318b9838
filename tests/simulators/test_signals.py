"""The raw signal values a simulated machine exposes read back as what it did."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from smkit.plant.machine import FlagsStateMap, StateCategory, ValueStateMap
from smkit.simulators.catalog import find_scenario
from smkit.simulators.events import Cycle, OrderStart, StateChange
from smkit.simulators.run import SimulationLog, simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.signals import SignalValue, signal_values

HOUR = 3600.0
SHOWN_AS_IDLE = {StateCategory.PLANNED_DOWN, StateCategory.NOT_SCHEDULED}


def run(name: str, hours: float) -> tuple[LoadedScenario, SimulationLog, list[SignalValue]]:
    loaded = find_scenario(name)
    log = simulate(loaded, 2, hours * HOUR)
    return loaded, log, list(signal_values(loaded.scenario, loaded.plant, log))


def test_state_values_decode_through_the_plants_own_map_to_the_simulated_state() -> None:
    for name in ("cnc-cell", "injection-moulding", "bottling-line"):
        loaded, log, values = run(name, 6)
        plant = loaded.plant
        machines = {m.id: m for _, m in plant.machines()}
        latest: dict[tuple[str, str], object] = {}
        by_instant = defaultdict(list)
        for value in values:
            by_instant[(value.ts, value.machine)].append(value)
        for event in log.events:
            if not isinstance(event, StateChange):
                continue
            for value in by_instant[(event.ts, event.machine)]:
                latest[(value.machine, value.signal)] = value.value
            machine = machines[event.machine]
            state_map = plant.state_maps[machine.state_map]
            if isinstance(state_map, ValueStateMap):
                signal = next(s.name for s in machine.signals if s.role == "state")
                decoded = state_map.values.get(latest[(machine.id, signal)], state_map.default)
            else:
                assert isinstance(state_map, FlagsStateMap)
                on = [
                    rule.category for rule in state_map.rules if latest[(machine.id, rule.signal)]
                ]
                decoded = on[0] if on else state_map.default
            expected = (
                StateCategory.IDLE
                if event.category in SHOWN_AS_IDLE and decoded is StateCategory.IDLE
                else event.category
            )
            assert decoded is expected, (name, event, decoded)


def test_counters_wrap_reset_and_add_up() -> None:
    _, log, values = run("injection-moulding", 24)
    shots = [
        v for v in values if v.machine == "press-01" and v.signal == "shots"
    ]  # 32-bit, resets per job
    cycles = [e for e in log.events if isinstance(e, Cycle) and e.machine == "press-01"]
    orders = [e for e in log.events if isinstance(e, OrderStart) and e.machine == "press-01"]
    assert len(orders) >= 2
    last_order = orders[-1]
    made_since = sum(c.units for c in cycles if c.start >= last_order.ts)
    assert shots[-1].value == made_since
    assert any(v.value == 0 for v in shots[1:])  # the job change restarted the counter
    _, log16, values16 = run("bottling-line", 16)
    labels = [v.value for v in values16 if v.machine == "labeller" and v.signal == "labels"]
    made = sum(e.units for e in log16.events if isinstance(e, Cycle) and e.machine == "labeller")
    assert labels[-1] == made % 2**16 and made > 2**16  # it wrapped
    assert sum(1 for a, b in pairwise(labels) if b < a) == made // 2**16


def test_process_values_follow_the_state_and_runs_repeat() -> None:
    loaded, _, values = run("cnc-cell", 8)
    speeds = [v for v in values if v.machine == "lathe-01" and v.signal == "spindle_speed"]
    assert len(speeds) == 8 * 3600  # one a second
    assert max(v.value for v in speeds) > 2400 and min(v.value for v in speeds) < 100
    again = list(signal_values(loaded.scenario, loaded.plant, simulate(loaded, 2, 8 * HOUR)))
    assert again == values
    assert [v.ts for v in values] == sorted(v.ts for v in values)
