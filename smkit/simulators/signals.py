"""The raw values a simulated machine exposes: its plant.yaml signals, as a real machine would.

The state is encoded back through the plant's own state map, so that collecting from the
simulator with the same plant.yaml reads the simulated state: a value map gives the first raw
value listed for the category, a flags map sets the first rule's flag. A category a machine's map
cannot express (a PackML machine has no "planned down") is shown as idle, as a real one would be;
the calendar, not the machine, says that time was not planned. Counters are cumulative (or per
cycle for ``kind: delta``), wrap at ``rollover_bits`` and restart at each order when
``resets_on_order_change``. Process values move towards a level per state, with lag and noise.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from smkit.core.sample import Value
from smkit.plant.machine import (
    COUNT_ROLES,
    FlagsStateMap,
    Machine,
    Signal,
    SignalRole,
    StateCategory,
    ValueStateMap,
)
from smkit.plant.model import Plant
from smkit.simulators.events import Cycle, Event, OrderStart, StateChange
from smkit.simulators.machine import ns
from smkit.simulators.run import SimulationLog
from smkit.simulators.scenario import Behaviour, ProcessValue, Scenario

ORDER_DELAY_NS = 1_000_000


@dataclass(frozen=True)
class SignalValue:
    """A machine signal taking a value at an instant."""

    ts: int
    machine: str
    signal: str
    value: Value


class MachineSignals:
    """Encodes one machine's events as values of its signals."""

    def __init__(
        self, machine: Machine, plant: Plant, behaviour: Behaviour, rng: random.Random
    ) -> None:
        self.machine = machine
        self.behaviour = behaviour
        self.rng = rng
        self.by_role: dict[SignalRole, Signal] = {
            signal.role: signal for signal in machine.signals if signal.role is not SignalRole.STATE
        }
        self.state_signals = [
            signal for signal in machine.signals if signal.role is SignalRole.STATE
        ]
        self.state_map = plant.state_maps.get(machine.state_map) if machine.state_map else None
        self.counts = dict.fromkeys(COUNT_ROLES, 0)
        self.category = StateCategory.NOT_SCHEDULED
        self.process = {
            signal.name: behaviour.process[signal.name].idle
            for signal in machine.signals
            if signal.name in behaviour.process
        }

    def on_event(self, event: Event) -> list[SignalValue]:
        """The signal values an event changes.

        A new order shows a millisecond after its instant: the last cycle of the previous order
        may end at that same instant, and a signal holds one value per instant (its count must
        not be overwritten by the reset, nor priced as the new product).
        """
        ts = event.ts
        if isinstance(event, StateChange):
            self.category = event.category
            values = self._state(event)
        elif isinstance(event, Cycle):
            values = self._cycle(event)
        else:
            values, ts = self._order(event), event.ts + ORDER_DELAY_NS
        return [SignalValue(ts, self.machine.id, name, value) for name, value in values]

    def initial_counts(self, ts: int) -> list[SignalValue]:
        """Cumulative counters read 0 at the start, as a machine's counters read something
        when a collector first connects (the first cycle's count is then an increase)."""
        return [
            SignalValue(ts, self.machine.id, signal.name, 0)
            for role, signal in self.by_role.items()
            if role in COUNT_ROLES
            and (signal.counter is None or signal.counter.kind == "cumulative")
        ]

    def sample_process(self, ts: int, period_s: float) -> list[SignalValue]:
        """Process values at ``ts``, ``period_s`` after the previous sample."""
        out = []
        for name, previous in self.process.items():
            setting = self.behaviour.process[name]
            target = _level(setting, self.category)
            moved = (
                target
                if not setting.lag
                else previous + (target - previous) * (1 - math.exp(-period_s / setting.lag))
            )
            self.process[name] = moved
            noisy = moved + self.rng.gauss(0.0, setting.noise) if setting.noise else moved
            if _never_negative(setting):
                noisy = max(0.0, noisy)
            out.append(SignalValue(ts, self.machine.id, name, round(noisy, 3)))
        return out

    def _state(self, event: StateChange) -> list[tuple[str, Value]]:
        values: list[tuple[str, Value]] = []
        if isinstance(self.state_map, FlagsStateMap):
            chosen = _flag_for(self.state_map, event.category)
            values += [(signal.name, signal.name == chosen) for signal in self.state_signals]
        elif isinstance(self.state_map, ValueStateMap) and self.state_signals:
            values.append((self.state_signals[0].name, _raw_for(self.state_map, event.category)))
        reason = self.by_role.get(SignalRole.REASON)
        if reason is not None:
            code = event.reason or ""
            values.append((reason.name, _typed(reason, code) if code else _empty(reason)))
        return values

    def _cycle(self, event: Cycle) -> list[tuple[str, Value]]:
        made = {
            SignalRole.COUNT_TOTAL: event.units,
            SignalRole.COUNT_GOOD: event.good,
            SignalRole.COUNT_REJECT: event.startup_rejects + event.process_rejects,
        }
        values: list[tuple[str, Value]] = []
        for role, amount in made.items():
            signal = self.by_role.get(role)
            if signal is None:
                continue
            self.counts[role] += amount
            delta = signal.counter is not None and signal.counter.kind == "delta"
            values.append((signal.name, _wrapped(signal, amount if delta else self.counts[role])))
        cycle_time = self.by_role.get(SignalRole.CYCLE_TIME)
        if cycle_time is not None:
            values.append((cycle_time.name, round((event.ts - event.start) / 1e9, 3)))
        return values

    def _order(self, event: OrderStart) -> list[tuple[str, Value]]:
        values: list[tuple[str, Value]] = []
        for role, text in ((SignalRole.PRODUCT, event.product), (SignalRole.ORDER, event.order)):
            signal = self.by_role.get(role)
            if signal is not None:
                values.append((signal.name, _typed(signal, text)))
        for role in COUNT_ROLES:
            signal = self.by_role.get(role)
            if (
                signal is not None
                and signal.counter is not None
                and signal.counter.resets_on_order_change
            ):
                self.counts[role] = 0
                values.append((signal.name, 0))
        return values


def signal_values(scenario: Scenario, plant: Plant, log: SimulationLog) -> Iterator[SignalValue]:
    """Every signal value of a run in time order: from events, and periodic process values.

    Values stamped after their event (an order's) wait until the stream reaches their time.
    """
    held: list[tuple[int, int, SignalValue]] = []
    for number, (value, ahead) in enumerate(_values(scenario, plant, log)):
        if ahead:
            heapq.heappush(held, (value.ts, number, value))
            continue
        while held and held[0][0] <= value.ts:
            yield heapq.heappop(held)[2]
        yield value
    while held:
        yield heapq.heappop(held)[2]


def _values(
    scenario: Scenario, plant: Plant, log: SimulationLog
) -> Iterator[tuple[SignalValue, bool]]:
    """The values in event order, each with whether it is stamped after its event."""
    encoders = {
        machine.id: MachineSignals(
            machine,
            plant,
            scenario.machines[machine.id],
            random.Random(f"{log.seed}/{machine.id}/signals"),
        )
        for _, machine in plant.machines()
    }
    for encoder in encoders.values():
        yield from ((value, False) for value in encoder.initial_counts(log.start))
    period = scenario.process_period
    step = ns(period)
    next_sample = log.start
    for event in log.events:
        while next_sample <= event.ts:
            for encoder in encoders.values():
                yield from ((v, False) for v in encoder.sample_process(next_sample, period))
            next_sample += step
        yield from ((v, v.ts > event.ts) for v in encoders[event.machine].on_event(event))
    while next_sample < log.end:
        for encoder in encoders.values():
            yield from ((v, False) for v in encoder.sample_process(next_sample, period))
        next_sample += step


def _level(setting: ProcessValue, category: StateCategory) -> float:
    if category is StateCategory.RUNNING:
        return setting.running
    if category is StateCategory.UNPLANNED_DOWN and setting.down is not None:
        return setting.down
    return setting.idle


def _never_negative(setting: ProcessValue) -> bool:
    """Noise cannot take a quantity whose levels are all non-negative (a pressure) below zero."""
    return min(setting.running, setting.idle, setting.down or 0.0) >= 0


def _raw_for(state_map: ValueStateMap, category: StateCategory) -> int | str:
    """The first raw value listed for the category, else for idle, else the first listed."""
    for wanted in (category, StateCategory.IDLE):
        for raw, mapped in state_map.values.items():
            if mapped is wanted:
                return raw
    return next(iter(state_map.values))


def _flag_for(state_map: FlagsStateMap, category: StateCategory) -> str | None:
    return next((rule.signal for rule in state_map.rules if rule.category is category), None)


def _typed(signal: Signal, text: str) -> Value:
    if signal.value_type == "int":
        return int(text) if text.lstrip("-").isdigit() else 0
    return text


def _empty(signal: Signal) -> Value:
    return 0 if signal.value_type == "int" else ""


def _wrapped(signal: Signal, count: int) -> int:
    bits = signal.counter.rollover_bits if signal.counter is not None else None
    return count % (1 << bits) if bits else count
