"""Run a scenario: every machine of its plant, with its behaviour, over a span of simulated time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import pairwise
from zoneinfo import ZoneInfo

from smkit.plant.model import Plant
from smkit.plant.schedule import ShiftWindow, shift_windows, to_utc_ns
from smkit.simulators.engine import Buffer, Engine
from smkit.simulators.events import Event, to_json_line
from smkit.simulators.machine import SimulatedMachine, Timeline, ns
from smkit.simulators.scenario import LoadedScenario


@dataclass(frozen=True)
class SimulationLog:
    """Everything a run produced: its span, each machine's shift windows, and the events."""

    scenario: str
    seed: int
    start: int
    end: int
    small_stop_threshold_ns: int
    windows: dict[str, list[ShiftWindow] | None]
    events: list[Event]

    def json_lines(self) -> str:
        """The event log as JSON lines, byte-identical for the same scenario, seed and span."""
        return "".join(to_json_line(event) + "\n" for event in self.events)


def simulate(loaded: LoadedScenario, seed: int, duration_s: float) -> SimulationLog:
    """Simulate ``duration_s`` seconds from the scenario's start; deterministic for a seed."""
    scenario, plant = loaded.scenario, loaded.plant
    start = to_utc_ns(scenario.start, ZoneInfo(plant.site.timezone))
    end = start + ns(duration_s)
    engine = Engine(start)
    machines: list[SimulatedMachine] = []
    windows: dict[str, list[ShiftWindow] | None] = {}
    for area in plant.site.areas:
        for line in area.lines:
            calendar_name = line.calendar or plant.site.calendar
            line_machines = []
            for machine in line.machines:
                found = _windows(plant, calendar_name, (start, end), machine.id, line.id)
                windows[machine.id] = found
                simulated = SimulatedMachine(
                    machine,
                    scenario.machines[machine.id],
                    Timeline(found, start, end),
                    engine,
                    random.Random(f"{seed}/{machine.id}"),
                )
                line_machines.append(simulated)
            if line.id in scenario.series:
                _chain(line_machines, scenario.series[line.id].buffer)
            machines += line_machines
    for simulated in machines:
        engine.spawn(simulated.process(end))
    engine.run(end)
    order = {simulated.machine.id: index for index, simulated in enumerate(machines)}
    events = sorted(
        (event for simulated in machines for event in simulated.events),
        key=lambda event: (event.ts, order[event.machine]),
    )
    return SimulationLog(
        scenario.name, seed, start, end, ns(scenario.small_stop_threshold), windows, events
    )


def _windows(
    plant: Plant, calendar_name: str | None, span: tuple[int, int], machine: str, line: str
) -> list[ShiftWindow] | None:
    if calendar_name is None:
        return None
    calendar = plant.calendars[calendar_name]
    return shift_windows(calendar, plant.site.timezone, *span, machine=machine, line=line)


def _chain(machines: list[SimulatedMachine], capacity: int) -> None:
    """Connect consecutive machines of a series line through buffers."""
    for upstream, downstream in pairwise(machines):
        buffer = Buffer(capacity)
        upstream.downstream = buffer
        downstream.upstream = buffer
