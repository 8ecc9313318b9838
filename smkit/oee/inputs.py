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

from smkit.core.columns import Column, Columns, columns_of
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

_BAD = int(Quality.BAD)


def machine_data(
    machine: Machine, state_map: StateMap | None, samples: Sequence[Sample]
) -> MachineData:
    """The engine's view of one machine from its samples (any order)."""
    return machine_data_of(machine, state_map, columns_of(samples))


def machine_data_of(machine: Machine, state_map: StateMap | None, series: Columns) -> MachineData:
    """The engine's view of one machine from its columns (as a historian reads them)."""
    catalog = {
        p.id: ProductSpec(round(p.ideal_cycle_time_s * 1e9), p.units_per_cycle)
        for p in machine.products
    }
    changes, unknown = _states(machine, state_map, series)
    limit = plausible_limit(catalog)
    orders = _change_times(machine, series)
    counts = {role: _counter(machine, role, series, limit, orders) for role in COUNT_ROLES}
    every_ts = [column.ts for column in series.values()]
    return MachineData(
        machine.id,
        changes,
        total=counts[SignalRole.COUNT_TOTAL],
        good=counts[SignalRole.COUNT_GOOD],
        rejects=counts[SignalRole.COUNT_REJECT],
        rework=counts[SignalRole.COUNT_REWORK],
        adjustments=_late_findings(machine, series),
        products=_products(machine, series),
        catalog=catalog,
        default_product=machine.default_product,
        unknown_states=unknown,
        sample_ts=np.sort(np.concatenate(every_ts)) if every_ts else np.zeros(0, np.int64),
    )


ROLES_READ = frozenset(
    {SignalRole.STATE, SignalRole.REASON, SignalRole.PRODUCT, SignalRole.ORDER, *COUNT_ROLES,
     *LATE_FINDING_ROLES}
)  # fmt: skip


def state_changes_of(machine: Machine, state_map: StateMap | None, series: Columns) -> StateChanges:
    """The machine's state changes (category and reason) from its columns."""
    return _states(machine, state_map, series)[0]


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


def runs_from(machine: Machine, state_map: StateMap | None, series: Columns, from_ns: int) -> bool:
    """Whether the machine is running at ``from_ns`` or starts running after it, by these
    columns (of its state signals, each with its last sample before them)."""
    changes, _ = _states(machine, state_map, series)
    running = changes.category == CATEGORY_CODE[StateCategory.RUNNING]
    at = int(np.searchsorted(changes.ts, from_ns, side="right")) - 1
    return bool((at >= 0 and running[at]) or running[max(at, 0) :].any())


def _signal(machine: Machine, role: SignalRole) -> str | None:
    return next((s.name for s in machine.signals if s.role is role), None)


def _column(machine: Machine, role: SignalRole, series: Columns) -> Column:
    name = _signal(machine, role)
    return series.get(name, Column.empty()) if name else Column.empty()


def _states(
    machine: Machine, state_map: StateMap | None, series: Columns
) -> tuple[StateChanges, Unlisted]:
    unknown: list[tuple[int, str]] = []
    if isinstance(state_map, FlagsStateMap):
        raw = _flag_states(state_map, series)
    else:
        raw = _mapped(state_map, _column(machine, SignalRole.STATE, series), unknown)
    with_reasons = _attach_reasons(raw, _column(machine, SignalRole.REASON, series))
    return StateChanges.of(with_reasons), Unlisted.of(unknown)


def _mapped(
    state_map: StateMap | None, column: Column, unknown: list[tuple[int, str]]
) -> list[tuple[int, StateCategory]]:
    """Each state sample's category; a value the map does not list is noted in ``unknown``."""
    found: dict[tuple[type, Value], StateCategory | None] = {}  # by type too: True == 1
    out = []
    for ts, value, quality in zip(column.ts.tolist(), column.values, column.quality.tolist(),
                                  strict=True):  # fmt: skip
        if quality == _BAD or value is None or not isinstance(state_map, ValueStateMap):
            out.append((ts, StateCategory.UNKNOWN))
            continue
        key = (type(value), value)
        if key not in found:
            found[key] = _listed(state_map, value)
        category = found[key]
        if category is None:
            unknown.append((ts, str(value)))
            category = state_map.default
        out.append((ts, category))
    return out


def _listed(state_map: ValueStateMap, value: Value) -> StateCategory | None:
    for key in _keys(value):
        if key in state_map.values:
            return state_map.values[key]
    return None


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


def _flag_states(state_map: FlagsStateMap, series: Columns) -> list[tuple[int, StateCategory]]:
    """The category at every change of any flag: the first rule whose flag is set; unknown
    while any flag seen so far is bad (each flag is a step function, evaluated at once at every
    change of any of them)."""
    flags = [series.get(rule.signal, Column.empty()) for rule in state_map.rules]
    moments = np.unique(np.concatenate([flag.ts for flag in flags]))
    choices = [*(rule.category for rule in state_map.rules), state_map.default,
               StateCategory.UNKNOWN]  # fmt: skip
    chosen = np.full(len(moments), len(state_map.rules), dtype=np.int64)  # the default
    bad = np.zeros(len(moments), dtype=np.bool_)
    for number, flag in reversed(list(enumerate(flags))):  # the first rule set wins
        if not len(flag):
            continue
        at = np.searchsorted(flag.ts, moments, side="right") - 1
        seen, at = at >= 0, np.maximum(at, 0)
        is_set = np.array([v is True for v in flag.values], dtype=np.bool_)
        chosen[seen & is_set[at]] = number
        bad |= seen & (flag.quality[at] == _BAD)
    chosen[bad] = len(choices) - 1
    return [(ts, choices[c]) for ts, c in zip(moments.tolist(), chosen.tolist(), strict=True)]


def _rows(column: Column) -> list[tuple[int, Value, int]]:
    return list(zip(column.ts.tolist(), column.values, column.quality.tolist(), strict=True))


def _attach_reasons(
    states: list[tuple[int, StateCategory]], reasons: Column
) -> list[tuple[int, StateCategory, str]]:
    """Each state change with the reason in effect at its start, or set first during it."""
    ts = reasons.ts
    codes = ["" if v is None or q == _BAD else str(v)
             for v, q in zip(reasons.values, reasons.quality.tolist(), strict=True)]  # fmt: skip
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


def _late_findings(machine: Machine, series: Columns) -> Adjustments:
    found: list[tuple[int, int, bool]] = []
    invalid: list[int] = []
    for role in (SignalRole.LATE_SCRAP, SignalRole.LATE_REWORK):
        for ts, value, quality in _rows(_column(machine, role, series)):
            units = _whole(value) if quality != _BAD else None
            if units is None:
                invalid.append(ts)
            else:
                found.append((ts, units, role is SignalRole.LATE_REWORK))
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


def _products(machine: Machine, series: Columns) -> ProductChanges:
    column = _column(machine, SignalRole.PRODUCT, series)
    return ProductChanges.of(
        [(ts, None if value in (None, "") else str(value))
         for ts, value in zip(column.ts.tolist(), column.values, strict=True)]
    )  # fmt: skip


def _change_times(machine: Machine, series: Columns) -> npt.NDArray[np.int64]:
    """When the product or the order changed (a counter may reset then)."""
    moments = set()
    for role in (SignalRole.PRODUCT, SignalRole.ORDER):
        column = _column(machine, role, series)
        previous: object = object()
        for ts, value in zip(column.ts.tolist(), column.values, strict=True):
            if value != previous:
                moments.add(ts)
            previous = value
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
    series: Columns,
    limit: Plausible | None,
    order_changes: npt.NDArray[np.int64],
) -> Increments | None:
    signal = next((s for s in machine.signals if s.role is role), None)
    if signal is None:
        return None
    column = series.get(signal.name, Column.empty())
    ts, raw = column.ts, column.values
    bad = column.quality == _BAD  # a bad sample has no value
    if bad.any():
        ts, raw = ts[~bad], [v for v, b in zip(raw, bad.tolist(), strict=True) if not b]
    values = np.array(raw, dtype=np.int64) if raw else np.zeros(0, np.int64)
    return increments(ts, values, signal.counter or Counter(), limit=limit,
                      order_changes=order_changes)  # fmt: skip
