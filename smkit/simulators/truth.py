"""Exact ground truth of a simulation, per machine and shift, from its own event log.

This is deliberately independent of :mod:`smkit.oee`: it is what that engine is checked against.
Only planned production time counts. Within it, the time of each state interval is split into:

* ``running``; ``breakdown`` (failures); ``setup`` (changeovers);
* stops without a reason (micro-stops, starved, blocked, idling before a window ends): a stop
  lasting at most the scenario's small-stop threshold is a ``small_stop``, a longer one ``idle``.
  A stop is classed by its whole length, even where only part of it lies in planned time.

Running time further splits into ideal time of good parts (``valuable``), of start-up and
process rejects, and ``speed_loss`` (the rest). Ideal-time quantities are exact fractions of a
nanosecond (an ideal cycle making several parts gives each a fraction). KPIs are given under two
conventions, which agree on OEE:

* ISO 22400: A = running / planned, P = ideal time of all parts / running, Q = good / total;
* Nakajima (six big losses): availability loses breakdowns and setup only; small stops and idling
  are performance losses.
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from smkit.plant.machine import StateCategory
from smkit.plant.schedule import Interval, ShiftWindow
from smkit.simulators.events import Cycle, StateChange
from smkit.simulators.run import SimulationLog

_STOP_CAUSES = {"micro_stop", "starved", "blocked", "end_of_window"}
_SECONDS = (
    "planned_ns", "running_ns", "breakdown_ns", "setup_ns", "small_stop_ns", "idle_ns",
    "speed_loss_ns", "valuable_ns", "startup_reject_ns", "process_reject_ns", "failure_ns",
)  # fmt: skip


@dataclass
class ShiftTruth:
    """The time model, counts and KPIs of one machine in one shift occurrence."""

    machine: str
    shift: str
    day: str
    start: int
    end: int
    planned_ns: int = 0
    running_ns: int = 0
    breakdown_ns: int = 0
    setup_ns: int = 0
    small_stop_ns: int = 0
    idle_ns: int = 0
    ideal_total_ns: Fraction = field(default_factory=Fraction)
    valuable_ns: Fraction = field(default_factory=Fraction)
    startup_reject_ns: Fraction = field(default_factory=Fraction)
    process_reject_ns: Fraction = field(default_factory=Fraction)
    total: int = 0
    good: int = 0
    startup_rejects: int = 0
    process_rejects: int = 0
    failures: int = 0
    failure_ns: int = 0
    products: set[str] = field(default_factory=set)

    @property
    def speed_loss_ns(self) -> Fraction:
        """Running time beyond the ideal time of everything made."""
        return self.running_ns - self.ideal_total_ns

    def kpis(self) -> dict[str, Fraction | None]:
        """A, P, Q, OEE under both conventions; None where a denominator is zero."""
        operating = self.planned_ns - self.breakdown_ns - self.setup_ns
        return {
            "availability": _ratio(self.running_ns, self.planned_ns),
            "performance": _ratio(self.ideal_total_ns, self.running_ns),
            "quality": _ratio(self.good, self.total),
            "oee": _ratio(self.valuable_ns, self.planned_ns),
            "availability_nakajima": _ratio(operating, self.planned_ns),
            "performance_nakajima": _ratio(self.ideal_total_ns, operating),
            "mttr_s": _ratio(self.failure_ns, self.failures * 10**9) if self.failures else None,
            "mtbf_s": _ratio(self.running_ns, self.failures * 10**9) if self.failures else None,
        }

    def as_json(self) -> dict[str, object]:
        """Seconds and ratios as floats, counts as integers, for the truth file."""
        seconds = {
            name.removesuffix("_ns") + "_s": float(Fraction(getattr(self, name)) / 10**9)
            for name in _SECONDS
        }
        kpis = {
            name: None if value is None else float(value) for name, value in self.kpis().items()
        }
        counts = {
            "total": self.total,
            "good": self.good,
            "startup_rejects": self.startup_rejects,
            "process_rejects": self.process_rejects,
            "failures": self.failures,
        }
        where = {
            "machine": self.machine,
            "shift": self.shift,
            "day": self.day,
            "start": self.start,
            "end": self.end,
        }
        return {**where, "products": sorted(self.products), **seconds, **counts, **kpis}


def ground_truth(log: SimulationLog) -> list[ShiftTruth]:
    """The truth of every machine and shift occurrence of a run, in (machine, start) order."""
    states: dict[str, list[StateChange]] = {machine: [] for machine in log.windows}
    cycles: dict[str, list[Cycle]] = {machine: [] for machine in log.windows}
    for event in log.events:
        if isinstance(event, StateChange):
            states[event.machine].append(event)
        elif isinstance(event, Cycle):
            cycles[event.machine].append(event)
    found: list[ShiftTruth] = []
    for machine, windows in log.windows.items():
        whole = ShiftWindow("all", _day_of(log.start), log.start, log.end, ((log.start, log.end),))
        intervals = list(_intervals(states[machine], log.end))
        interval_starts = [start for start, _, _ in intervals]
        interval_ends = [end for _, end, _ in intervals]
        cycle_starts = [cycle.start for cycle in cycles[machine]]
        for window in windows or [whole]:
            truth = ShiftTruth(
                machine, window.shift, window.day.isoformat(), window.start, window.end
            )
            truth.planned_ns = window.planned_ns
            overlapping = intervals[
                bisect_right(interval_ends, window.start) : bisect_left(interval_starts, window.end)
            ]
            _add_time(truth, overlapping, window.planned, log.small_stop_threshold_ns)
            inside = cycles[machine][
                bisect_left(cycle_starts, window.start) : bisect_left(cycle_starts, window.end)
            ]
            _add_cycles(truth, inside, window.planned)
            found.append(truth)
    return found


def _intervals(states: list[StateChange], end: int) -> Iterable[tuple[int, int, StateChange]]:
    for state, following in zip(states, [*states[1:], None], strict=True):
        stop = following.ts if following is not None else end
        if stop > state.ts:
            yield state.ts, stop, state


def _add_time(
    truth: ShiftTruth,
    intervals: Iterable[tuple[int, int, StateChange]],
    planned: tuple[Interval, ...],
    threshold: int,
) -> None:
    for start, end, state in intervals:
        inside = sum(max(0, min(end, b) - max(start, a)) for a, b in planned)
        if state.category is StateCategory.RUNNING:
            truth.running_ns += inside
        elif state.cause == "failure":
            truth.breakdown_ns += inside
            if any(a <= start < b for a, b in planned):
                truth.failures += 1
                truth.failure_ns += end - start
        elif state.cause == "changeover":
            truth.setup_ns += inside
        elif state.cause in _STOP_CAUSES:
            if end - start <= threshold:
                truth.small_stop_ns += inside
            else:
                truth.idle_ns += inside


def _add_cycles(truth: ShiftTruth, cycles: list[Cycle], planned: tuple[Interval, ...]) -> None:
    """Count the cycles run inside planned time; ideal times summed as integers per part size."""
    sums: dict[
        int, list[int]
    ] = {}  # units per cycle -> ideal ns x (good, start-up, process rejects)
    for cycle in cycles:
        if not any(a <= cycle.start and cycle.ts <= b for a, b in planned):
            continue
        parts = sums.setdefault(cycle.units, [0, 0, 0])
        parts[0] += cycle.ideal_ns * cycle.good
        parts[1] += cycle.ideal_ns * cycle.startup_rejects
        parts[2] += cycle.ideal_ns * cycle.process_rejects
        truth.ideal_total_ns += cycle.ideal_ns
        truth.total += cycle.units
        truth.good += cycle.good
        truth.startup_rejects += cycle.startup_rejects
        truth.process_rejects += cycle.process_rejects
        truth.products.add(cycle.product)
    for units, (good, startup, process) in sums.items():
        truth.valuable_ns += Fraction(good, units)
        truth.startup_reject_ns += Fraction(startup, units)
        truth.process_reject_ns += Fraction(process, units)


def _ratio(numerator: int | Fraction, denominator: int | Fraction) -> Fraction | None:
    return Fraction(numerator) / denominator if denominator else None


def _day_of(ns_value: int) -> dt.date:
    return dt.datetime.fromtimestamp(ns_value / 10**9, dt.UTC).date()


def truth_document(
    log: SimulationLog,
    served: dict[str, Any] | None = None,
    chaos: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The truth file's content: exact KPIs per machine and shift; when served, how far and
    over what, and every fault chaos mode injected."""
    document: dict[str, Any] = {
        "scenario": log.scenario,
        "seed": log.seed,
        "start": log.start,
        "end": log.end,
        "small_stop_threshold_s": log.small_stop_threshold_ns / 1e9,
        "shifts": [shift.as_json() for shift in ground_truth(log)],
    }
    if served is not None:
        document["served"] = served
        document["chaos"] = chaos or []
    return document


def write_truth(
    path: Path,
    log: SimulationLog,
    served: dict[str, Any] | None = None,
    chaos: list[dict[str, Any]] | None = None,
) -> None:
    """Write the truth file (sorted keys: the same run gives the same bytes)."""
    document = truth_document(log, served, chaos)
    path.write_text(json.dumps(document, sort_keys=True, indent=1) + "\n")
