"""From a machine's historian samples to what the engine reads (pure: samples in, arrays out).

* State: the state signal's raw values through the plant's state map (a value map, or boolean
  flags where the first true rule wins). A bad sample, or a value the map does not list, is an
  unknown state; values the map does not list are counted so the report can name them.
* Reason: the stop reason of a state interval is the reason signal's value in effect when the
  interval begins, or else the first one set during it (an operator entering it late).
* Counters: count_total, count_good, count_reject and count_rework become increments
  (``counters``); a jump beyond what the fastest product allows is an anomaly.
* Late quality findings: each sample of a late_scrap or late_rework signal, stamped with the time
  the units were made, is a number of them found to be scrap or to need rework (``counting``).
  A value that is not a whole number above zero is left out and counted as an anomaly.
* Product: the product signal says which product each unit is; without one, the machine's
  default (or only) product.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from smkit.core.sample import Quality, Sample, Value
from smkit.oee.increments import Increments, Plausible, increments
from smkit.oee.model import Adjustments, MachineData, ProductChanges, ProductSpec, Unlisted
from smkit.oee.timeline import CATEGORY_CODE, StateChanges
from smkit.plant.machine import (
    COUNT_ROLES,
    LATE_FINDING_ROLES,
    Counter,
    FlagsStateMap,
    Machine,
    SignalRole,
    StateCategory,
    StateMap,
    ValueStateMap,
)

SPEED_LIMIT = 3.0
"""Counting faster than this many times the fastest ideal rate is taken as a counter glitch."""

Series = Mapping[str, Sequence[Sample]]


def machine_data(
    machine: Machine, state_map: StateMap | None, samples: Sequence[Sample]
) -> MachineData:
    """The engine's view of one machine from its samples (any order)."""
    series: dict[str, list[Sample]] = {}
    ordered = sorted(samples, key=lambda s: s.ts)
    for sample in ordered:
        series.setdefault(sample.signal, []).append(sample)
    catalog = {
        p.id: ProductSpec(round(p.ideal_cycle_time_s * 1e9), p.units_per_cycle)
        for p in machine.products
    }
    products = _products(machine, series)
    changes, unknown = _states(machine, state_map, series)
    limit = plausible_limit(catalog)
    orders = _change_times(machine, series)
    counts = {role: _counter(machine, role, series, limit, orders) for role in COUNT_ROLES}
    return MachineData(
        machine.id,
        changes,
        total=counts[SignalRole.COUNT_TOTAL],
        good=counts[SignalRole.COUNT_GOOD],
        rejects=counts[SignalRole.COUNT_REJECT],
        rework=counts[SignalRole.COUNT_REWORK],
        adjustments=_late_findings(machine, series),
        products=products,
        catalog=catalog,
        default_product=machine.default_product,
        unknown_states=unknown,
        sample_ts=np.array([s.ts for s in ordered], dtype=np.int64),
    )


ROLES_READ = frozenset(
    {SignalRole.STATE, SignalRole.REASON, SignalRole.PRODUCT, SignalRole.ORDER, *COUNT_ROLES,
     *LATE_FINDING_ROLES}
)  # fmt: skip


def signals_read(machine: Machine, state_map: StateMap | None) -> list[str]:
    """The signals :func:`machine_data` reads, so a reader can leave out the process values
    (temperatures, pressures...), which are most of a machine's samples."""
    names = {s.name for s in machine.signals if s.role in ROLES_READ}
    if isinstance(state_map, FlagsStateMap):
        names |= {rule.signal for rule in state_map.rules}
    return sorted(names)


def state_signals(machine: Machine, state_map: StateMap | None) -> list[str]:
    """The signals a machine's state and stop reason are read from."""
    roles = (SignalRole.STATE, SignalRole.REASON)
    names = {s.name for s in machine.signals if s.role in roles}
    if isinstance(state_map, FlagsStateMap):
        names |= {rule.signal for rule in state_map.rules}
    return sorted(names)


def runs_from(
    machine: Machine, state_map: StateMap | None, samples: Sequence[Sample], from_ns: int
) -> bool:
    """Whether the machine is running at ``from_ns`` or starts running after it, by these
    samples (of its state signals, each series with its last sample before them)."""
    series: dict[str, list[Sample]] = {}
    for sample in sorted(samples, key=lambda s: s.ts):
        series.setdefault(sample.signal, []).append(sample)
    changes, _ = _states(machine, state_map, series)
    running = changes.category == CATEGORY_CODE[StateCategory.RUNNING]
    at = int(np.searchsorted(changes.ts, from_ns, side="right")) - 1
    return bool((at >= 0 and running[at]) or running[max(at, 0) :].any())


def _signal(machine: Machine, role: SignalRole) -> str | None:
    return next((s.name for s in machine.signals if s.role is role), None)


def _states(
    machine: Machine, state_map: StateMap | None, series: Series
) -> tuple[StateChanges, Unlisted]:
    names = [s.name for s in machine.signals if s.role is SignalRole.STATE]
    unknown: list[tuple[int, str]] = []
    if isinstance(state_map, FlagsStateMap):
        raw = _flag_states(state_map, series)
    else:
        samples = series.get(names[0], []) if names else []
        raw = [(s.ts, _mapped(state_map, s, unknown)) for s in samples]
    reason_name = _signal(machine, SignalRole.REASON)
    reasons = series.get(reason_name, []) if reason_name else []
    with_reasons = _attach_reasons(raw, reasons)
    return StateChanges.of(with_reasons), Unlisted.of(unknown)


def _mapped(
    state_map: StateMap | None, sample: Sample, unknown: list[tuple[int, str]]
) -> StateCategory:
    if sample.quality is Quality.BAD or sample.value is None:
        return StateCategory.UNKNOWN
    if not isinstance(state_map, ValueStateMap):
        return StateCategory.UNKNOWN
    value = sample.value
    for key in _keys(value):
        if key in state_map.values:
            return state_map.values[key]
    unknown.append((sample.ts, str(value)))
    return state_map.default


def _keys(value: Value) -> list[int | str]:
    """The map keys a raw value may be written as (5, 5.0 and "5" are the same state)."""
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, float) and value.is_integer():
        return [int(value), str(int(value))]
    if isinstance(value, int):
        return [value, str(value)]
    text = str(value)
    return [text, int(text)] if text.lstrip("-").isdigit() else [text]


def _flag_states(state_map: FlagsStateMap, series: Series) -> list[tuple[int, StateCategory]]:
    """The category at every change of any flag: the first rule whose flag is set."""
    events = sorted(
        (s.ts, rule_index, s)
        for rule_index, rule in enumerate(state_map.rules)
        for s in series.get(rule.signal, [])
    )
    current: dict[int, Sample] = {}
    out: list[tuple[int, StateCategory]] = []
    for ts, index, sample in events:
        current[index] = sample
        if any(s.quality is Quality.BAD for s in current.values()):
            category = StateCategory.UNKNOWN
        else:
            on = [i for i, s in sorted(current.items()) if s.value is True]
            category = state_map.rules[on[0]].category if on else state_map.default
        out.append((ts, category))
    return out


def _attach_reasons(
    states: list[tuple[int, StateCategory]], reasons: Sequence[Sample]
) -> list[tuple[int, StateCategory, str]]:
    """Each state change with the reason in effect at its start, or set first during it."""
    ts = np.array([r.ts for r in reasons], dtype=np.int64)
    codes = ["" if r.value is None or r.quality is Quality.BAD else str(r.value) for r in reasons]
    starts = np.array([start for start, _ in states], dtype=np.int64)
    after = np.searchsorted(ts, starts, side="right")  # the first reason set after each start
    ends = np.append(starts[1:], np.iinfo(np.int64).max)[: len(starts)]
    out = []
    for (start, category), at, end in zip(states, after.tolist(), ends.tolist(), strict=True):
        code = codes[at - 1] if at > 0 else ""
        if not code and at < len(ts) and ts[at] < end:
            code = codes[at]
        out.append((start, category, code))
    return out


def _late_findings(machine: Machine, series: Series) -> Adjustments:
    found: list[tuple[int, int, bool]] = []
    invalid: list[int] = []
    for role in (SignalRole.LATE_SCRAP, SignalRole.LATE_REWORK):
        name = _signal(machine, role)
        for sample in series.get(name, []) if name else []:
            units = _whole(sample.value) if sample.quality is not Quality.BAD else None
            if units is None:
                invalid.append(sample.ts)
            else:
                found.append((sample.ts, units, role is SignalRole.LATE_REWORK))
    found.sort()
    return Adjustments(
        np.array([ts for ts, _, _ in found], dtype=np.int64),
        np.array([units for _, units, _ in found], dtype=np.int64),
        np.array([rework for _, _, rework in found], dtype=np.bool_),
        np.array(sorted(invalid), dtype=np.int64),
    )


def _whole(value: Value) -> int | None:
    """A whole number of units above zero, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value <= 0 or value != int(value):
        return None
    return int(value)


def _products(machine: Machine, series: Series) -> ProductChanges:
    name = _signal(machine, SignalRole.PRODUCT)
    samples = series.get(name, []) if name else []
    return ProductChanges.of(
        [(s.ts, None if s.value in (None, "") else str(s.value)) for s in samples]
    )


def _change_times(machine: Machine, series: Series) -> npt.NDArray[np.int64]:
    """When the product or the order changed (a counter may reset then)."""
    moments = set()
    for role in (SignalRole.PRODUCT, SignalRole.ORDER):
        name = _signal(machine, role)
        previous: object = object()
        for sample in series.get(name, []) if name else []:
            if sample.value != previous:
                moments.add(sample.ts)
            previous = sample.value
    return np.array(sorted(moments), dtype=np.int64)


def plausible_limit(catalog: Mapping[str, ProductSpec]) -> Plausible | None:
    """The most units a counter can plausibly add: SPEED_LIMIT times the fastest product."""
    if not catalog:
        return None
    fastest = max(spec.units / spec.cycle_ns for spec in catalog.values())
    return Plausible(fastest * SPEED_LIMIT, max(spec.units for spec in catalog.values()))


def _counter(
    machine: Machine,
    role: SignalRole,
    series: Series,
    limit: Plausible | None,
    order_changes: npt.NDArray[np.int64],
) -> Increments | None:
    signal = next((s for s in machine.signals if s.role is role), None)
    if signal is None:
        return None
    samples = [s for s in series.get(signal.name, []) if s.value is not None]
    ts = np.array([s.ts for s in samples], dtype=np.int64)
    values = np.array([int(s.value) for s in samples], dtype=np.int64)  # type: ignore[arg-type]
    return increments(ts, values, signal.counter or Counter(), limit=limit,
                      order_changes=order_changes)  # fmt: skip
