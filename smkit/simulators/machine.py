"""One simulated machine: a process that follows its calendar and its behaviour, logging events.

Rules that keep the ground truth exact: a cycle only starts if it ends inside the current
planned interval (otherwise the machine idles until the interval ends), failures, micro-stops and
slow periods are due by running time and take effect between cycles, and every duration is a
whole number of milliseconds, never shorter than the ideal cycle. Whole milliseconds keep every
instant exactly representable in each protocol the simulators speak (Sparkplug and JSON carry
milliseconds, OPC UA 100 ns ticks), so what a collector stores can be compared exactly.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field

from smkit.plant.machine import Machine, StateCategory
from smkit.plant.schedule import ShiftWindow
from smkit.simulators.engine import Buffer, Engine, Hold, Process, Put, Take
from smkit.simulators.events import Cycle, Event, OrderStart, StateChange
from smkit.simulators.scenario import Behaviour, Failure

MS = 1_000_000
PLANNED, BREAK, OFF = "planned", "break", "off"


def ns(seconds: float) -> int:
    """Seconds as nanoseconds, rounded to whole milliseconds."""
    return round(seconds * 1000) * MS


def ms_ceil(nanoseconds: float) -> int:
    """Nanoseconds rounded up to whole milliseconds."""
    return math.ceil(nanoseconds / MS) * MS


class Timeline:
    """The machine's calendar as consecutive segments: planned, break (in a shift) or off."""

    def __init__(self, windows: list[ShiftWindow] | None, start: int, end: int) -> None:
        if windows is None:  # no calendar: always planned
            self.segments = [(start, end, PLANNED)]
        else:
            self.segments = _segments(windows, start, end)
        self._starts = [segment[0] for segment in self.segments]

    def at(self, moment: int) -> tuple[int, int, str]:
        """The segment containing ``moment``."""
        return self.segments[max(0, bisect_right(self._starts, moment) - 1)]


def _segments(windows: list[ShiftWindow], start: int, end: int) -> list[tuple[int, int, str]]:
    segments = []
    cursor = start
    for window in windows:
        if window.start > cursor:
            segments.append((cursor, window.start, OFF))
        inner = window.start
        for planned_start, planned_end in window.planned:
            if planned_start > inner:
                segments.append((inner, planned_start, BREAK))
            segments.append((planned_start, planned_end, PLANNED))
            inner = planned_end
        if window.end > inner:
            segments.append((inner, window.end, BREAK))
        cursor = window.end
    if cursor < end:
        segments.append((cursor, end, OFF))
    return segments


@dataclass
class Wear:
    """Running-time clocks: when the next failure, micro-stop and slow period are due."""

    failures: dict[int, int] = field(default_factory=dict)
    micro_stop: int | None = None
    slow_from: int | None = None
    slow_until: int = 0


class SimulatedMachine:
    """A machine's behaviour as an engine process (see the module docstring)."""

    def __init__(
        self,
        machine: Machine,
        behaviour: Behaviour,
        timeline: Timeline,
        engine: Engine,
        rng: random.Random,
    ) -> None:
        self.machine = machine
        self.behaviour = behaviour
        self.timeline = timeline
        self.engine = engine
        self.rng = rng
        self.events: list[Event] = []
        self.upstream: Buffer | None = None
        self.downstream: Buffer | None = None
        self.run_ns = 0
        self.wear = self._first_wear()
        self.order_number = 0
        self.made_in_order = 0
        self.startup_left = 0
        self.changeover_due = False
        self._last_state: tuple[StateCategory, str | None, str] | None = None
        self._state_before: tuple[StateCategory, str | None, str] | None = None
        self._products = {p.id: p for p in machine.products}

    def process(self, horizon: int) -> Process:
        """The machine's life until ``horizon``."""
        self._start_order()
        while self.engine.now < horizon:
            _, segment_end, kind = self.timeline.at(self.engine.now)
            if kind == PLANNED:
                yield from self._work(segment_end)
            else:
                category = (
                    StateCategory.PLANNED_DOWN if kind == BREAK else StateCategory.NOT_SCHEDULED
                )
                self._state(category, None, kind)
                yield Hold(segment_end)

    def _work(self, end: int) -> Process:
        """One step inside a planned interval ending at ``end``: a stop or a cycle."""
        now = self.engine.now
        failure = self._failure_due()
        if self.changeover_due and self.behaviour.changeover is not None:
            changeover = self.behaviour.changeover
            self._state(StateCategory.SETUP, changeover.reason, "changeover")
            yield Hold(now + ns(changeover.duration))
            self.changeover_due = False
            self.startup_left = changeover.startup_rejects
        elif failure is not None:
            index, mode = failure
            self._state(StateCategory.UNPLANNED_DOWN, mode.reason, "failure")
            yield Hold(now + max(MS, ns(self.rng.gammavariate(2.0, mode.mttr / 2))))
            self.wear.failures[index] = self.run_ns + ns(self.rng.expovariate(1 / mode.mtbf))
        elif self.wear.micro_stop is not None and self.run_ns >= self.wear.micro_stop:
            stops = self.behaviour.micro_stops
            assert stops is not None
            self._state(StateCategory.IDLE, None, "micro_stop")
            yield Hold(now + ns(stops.lasting * self.rng.uniform(0.5, 1.5)))
            self.wear.micro_stop = self.run_ns + ns(self.rng.expovariate(1 / stops.every))
        else:
            yield from self._cycle(end)

    def _cycle(self, end: int) -> Process:
        product = self._products[
            self.behaviour.orders[self.order_number % len(self.behaviour.orders)].product
        ]
        ideal = ns(product.ideal_cycle_time_s)
        duration = ms_ceil(
            ideal / self._speed() * (1 + self.rng.uniform(0, self.behaviour.cycle_jitter))
        )
        if self.engine.now + duration > end:
            self._state(StateCategory.IDLE, None, "end_of_window")
            yield Hold(end)
            return
        if self.upstream is not None:
            if self.upstream.level < product.units_per_cycle:
                self._state(StateCategory.IDLE, None, "starved")
            if not (yield Take(self.upstream, product.units_per_cycle, end - duration)):
                yield Hold(end)  # no cycle fits any more: stay starved until the interval ends
                return
        self._state(StateCategory.RUNNING, None, "running")
        start = self.engine.now
        yield Hold(start + duration)
        self.run_ns += duration
        good = self._finish(start, product.id, product.units_per_cycle, ideal)
        if self.downstream is not None and good:
            if self.downstream.level + good > self.downstream.capacity:
                self._state(StateCategory.IDLE, None, "blocked")
            yield Put(self.downstream, good)

    def _finish(self, start: int, product: str, units: int, ideal: int) -> int:
        """Judge the parts of a finished cycle, log it, advance the order; return the good parts."""
        startup = min(units, self.startup_left)
        self.startup_left -= startup
        scrap = sum(self.rng.random() < self.behaviour.scrap_rate for _ in range(units - startup))
        good = units - startup - scrap
        order = self._order_id()
        self.events.append(
            Cycle(
                self.engine.now,
                self.machine.id,
                start,
                product,
                order,
                units,
                good,
                startup,
                scrap,
                ideal,
            )
        )
        self.made_in_order += units
        if (
            self.made_in_order
            >= self.behaviour.orders[self.order_number % len(self.behaviour.orders)].quantity
        ):
            previous = product
            self.order_number += 1
            self._start_order()
            self.changeover_due = self._current_product() != previous
        return good

    def _start_order(self) -> None:
        self.made_in_order = 0
        self.events.append(
            OrderStart(self.engine.now, self.machine.id, self._order_id(), self._current_product())
        )

    def _current_product(self) -> str:
        return self.behaviour.orders[self.order_number % len(self.behaviour.orders)].product

    def _order_id(self) -> str:
        return f"{self.machine.id}-{self.order_number + 1:05d}"

    def _speed(self) -> float:
        slow = self.behaviour.slow_periods
        if slow is None or self.wear.slow_from is None:
            return self.behaviour.speed
        if self.run_ns >= self.wear.slow_from:
            self.wear.slow_until = self.run_ns + ns(slow.lasting * self.rng.uniform(0.5, 1.5))
            self.wear.slow_from = self.wear.slow_until + ns(self.rng.expovariate(1 / slow.every))
        return (
            self.behaviour.speed * slow.speed
            if self.run_ns < self.wear.slow_until
            else self.behaviour.speed
        )

    def _failure_due(self) -> tuple[int, Failure] | None:
        due = [(at, index) for index, at in self.wear.failures.items() if self.run_ns >= at]
        if not due:
            return None
        index = min(due)[1]
        return index, self.behaviour.failures[index]

    def _first_wear(self) -> Wear:
        behaviour = self.behaviour
        wear = Wear(
            {i: ns(self.rng.expovariate(1 / f.mtbf)) for i, f in enumerate(behaviour.failures)}
        )
        if behaviour.micro_stops is not None:
            wear.micro_stop = ns(self.rng.expovariate(1 / behaviour.micro_stops.every))
        if behaviour.slow_periods is not None:
            wear.slow_from = ns(self.rng.expovariate(1 / behaviour.slow_periods.every))
        return wear

    def _state(self, category: StateCategory, reason: str | None, cause: str) -> None:
        """Log a state change; a state that lasted no time at all is replaced, not kept."""
        last = self.events[-1] if self.events else None
        if isinstance(last, StateChange) and last.ts == self.engine.now:
            self.events.pop()
            self._last_state = self._state_before
        if self._last_state != (category, reason, cause):
            self._state_before = self._last_state
            self._last_state = (category, reason, cause)
            self.events.append(
                StateChange(self.engine.now, self.machine.id, category, reason, cause)
            )
