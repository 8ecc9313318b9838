"""Scenario files: how the machines of a plant.yaml behave when simulated.

A scenario names a plant.yaml (the same file smkit collects with) and adds, per machine, the
behaviour a real machine would show: speed, cycle-time spread, scrap, failures with their
reasons, micro-stops, slow periods, a production plan of orders with changeovers, and process
values that follow the machine's state. Lines can be declared as series lines, whose machines
pass parts through buffers (and so get starved or blocked).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, field_validator

from smkit.plant.base import ConfigModel, DurationS, Identifier, LocalText, SignalName
from smkit.plant.checks import Loc, Problem
from smkit.plant.loader import load_plant
from smkit.plant.machine import Machine, ReasonCode, SignalRole, StateCategory
from smkit.plant.model import Plant
from smkit.plant.storage import resolve_path
from smkit.plant.yamlfile import read_text, validate_yaml


class Failure(ConfigModel):
    """A failure mode: its reason code, mean running time between failures and mean repair time."""

    reason: ReasonCode
    mtbf: DurationS
    mttr: DurationS


class MicroStops(ConfigModel):
    """Short unexplained stops: mean running time between them and their mean length."""

    every: DurationS
    lasting: DurationS


class SlowPeriods(ConfigModel):
    """Periods of reduced speed: mean running time between them, mean length, speed factor."""

    every: DurationS
    lasting: DurationS
    speed: float = Field(gt=0, le=1)


class Order(ConfigModel):
    """One production order of the plan: a product and how many parts to make."""

    product: Identifier
    quantity: int = Field(gt=0)


class Changeover(ConfigModel):
    """What happens between orders of different products."""

    duration: DurationS
    reason: ReasonCode | None = None
    startup_rejects: int = Field(default=0, ge=0)


class ProcessValue(ConfigModel):
    """A process signal that follows the state: a level per state, a lag, some noise."""

    running: float
    idle: float = 0.0
    down: float | None = None
    noise: float = Field(default=0.0, ge=0)
    lag: DurationS | None = None


class Behaviour(ConfigModel):
    """How one machine behaves. Speeds are fractions of the ideal speed (1 = ideal)."""

    speed: float = Field(default=1.0, gt=0, le=1)
    cycle_jitter: float = Field(default=0.0, ge=0, lt=1)
    scrap_rate: float = Field(default=0.0, ge=0, lt=1)
    failures: list[Failure] = Field(default_factory=list)
    micro_stops: MicroStops | None = None
    slow_periods: SlowPeriods | None = None
    orders: list[Order] = Field(min_length=1)
    changeover: Changeover | None = None
    process: dict[SignalName, ProcessValue] = Field(default_factory=dict)


class SeriesLine(ConfigModel):
    """A line whose machines, in plant.yaml order, pass parts through buffers of this size."""

    buffer: int = Field(gt=0)


class Scenario(ConfigModel):
    """A simulated pilot factory: a plant.yaml and how its machines behave."""

    name: Identifier
    title: LocalText
    description: LocalText | None = None
    plant: Path
    start: dt.datetime
    small_stop_threshold: DurationS = 120.0
    process_period: DurationS = 1.0
    machines: dict[Identifier, Behaviour] = Field(min_length=1)
    series: dict[Identifier, SeriesLine] = Field(default_factory=dict)

    _resolve = field_validator("plant")(resolve_path)

    @field_validator("start")
    @classmethod
    def _local_start(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            raise ValueError("start is a local time of the site: write it without an offset")
        return value


class LoadedScenario:
    """A checked scenario together with its checked plant."""

    def __init__(self, scenario: Scenario, plant: Plant, path: Path) -> None:
        self.scenario = scenario
        self.plant = plant
        self.path = path

    def starting_on(self, day: dt.date) -> LoadedScenario:
        """The same scenario run from ``day`` at its own start time (a demo shows today)."""
        start = dt.datetime.combine(day, self.scenario.start.timetz())
        return LoadedScenario(self.scenario.model_copy(update={"start": start}), self.plant,
                              self.path)  # fmt: skip


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read and check a scenario file and the plant.yaml it names."""
    path = Path(path)
    document = validate_yaml(
        read_text(path),
        str(path),
        Scenario,
        "'name', 'plant' and 'machines'",
        {"base_dir": path.parent},
    )
    scenario = document.model
    plant = load_plant(scenario.plant, environ={})
    problems = scenario_problems(scenario, plant)
    if problems:
        raise document.error(problems)
    return LoadedScenario(scenario, plant, path)


def scenario_problems(scenario: Scenario, plant: Plant) -> list[Problem]:
    """What in the scenario does not fit its plant."""
    machines = {machine.id: machine for _, machine in plant.machines()}
    problems: list[Problem] = [
        (("machines",), f"machine {machine!r} of the plant has no behaviour here")
        for machine in machines
        if machine not in scenario.machines
    ]
    reasons = {reason.code: reason.category for reason in plant.reasons}
    for machine_id, behaviour in scenario.machines.items():
        loc: Loc = ("machines", machine_id)
        machine = machines.get(machine_id)
        if machine is None:
            problems.append((loc, f"there is no machine {machine_id!r} in {scenario.plant.name}"))
            continue
        problems += _behaviour_problems(loc, behaviour, machine, reasons)
    lines = {line.id: line for area in plant.site.areas for line in area.lines}
    for line_id, series in scenario.series.items():
        line = lines.get(line_id)
        if line is None:
            problems.append(
                (("series", line_id), f"there is no line {line_id!r} in {scenario.plant.name}")
            )
            continue
        widest = max(
            (max((p.units_per_cycle for p in m.products), default=1) for m in line.machines),
            default=1,
        )
        if series.buffer < widest:
            problems.append(
                (
                    ("series", line_id, "buffer"),
                    f"must hold at least one cycle's parts ({widest}), got {series.buffer}",
                )
            )
    return problems


def _behaviour_problems(
    loc: Loc, behaviour: Behaviour, machine: Machine, reasons: dict[str, StateCategory]
) -> list[Problem]:
    problems: list[Problem] = []
    products = [product.id for product in machine.products]
    for index, order in enumerate(behaviour.orders):
        if order.product not in products:
            problems.append(
                (
                    (*loc, "orders", index, "product"),
                    f"unknown product {order.product!r} (defined: {products})",
                )
            )
    wanted: list[tuple[Loc, str, StateCategory]] = [
        (("failures", i, "reason"), f.reason, StateCategory.UNPLANNED_DOWN)
        for i, f in enumerate(behaviour.failures)
    ]
    if behaviour.changeover is not None and behaviour.changeover.reason is not None:
        wanted.append((("changeover", "reason"), behaviour.changeover.reason, StateCategory.SETUP))
    for where, code, category in wanted:
        if reasons.get(code) != category:
            problems.append(
                (
                    (*loc, *where),
                    f"needs a reason code of category {category.value!r} in the plant, "
                    f"got {code!r}",
                )
            )
    process = {s.name for s in machine.signals if s.role is SignalRole.PROCESS}
    problems += [
        (
            (*loc, "process", name),
            f"{machine.id} has no process signal {name!r} (defined: {sorted(process)})",
        )
        for name in behaviour.process
        if name not in process
    ]
    return problems
