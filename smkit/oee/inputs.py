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
from smkit.oee.entries import OPERATOR_REASON, with_entries
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
Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Int8s = npt.NDArray[np.int8]


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
        sample_times=tuple(every_ts),
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
    names = {s.name for s in machine.signals if s.role in ROLES_READ} | {OPERATOR_REASON}
    if isinstance(state_map, FlagsStateMap):
        names |= {rule.signal for rule in state_map.rules}
    return sorted(names)


def state_signals(machine: Machine, state_map: StateMap | None) -> list[str]:
    """The signals a machine's state and stop reason are read from."""
    roles = (SignalRole.STATE, SignalRole.REASON)
    names = {s.name for s in machine.signals if s.role in roles} | {OPERATOR_REASON}
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


def running_again(changes: StateChanges, instants: Sequence[int]) -> list[int | None]:
    """For each instant, when the machine runs at or after it by these changes: the instant
    itself when it is running then, None when they never show it running again."""
    running = changes.category == CATEGORY_CODE[StateCategory.RUNNING]
    starts = changes.ts[running]
    out: list[int | None] = []
    for instant in instants:
        at = int(np.searchsorted(changes.ts, instant, side="right")) - 1
        after = int(np.searchsorted(starts, instant))
        if at >= 0 and running[at]:
            out.append(instant)
        else:
            out.append(int(starts[after]) if after < len(starts) else None)
    return out


def _signal(machine: Machine, role: SignalRole) -> str | None:
    return next((s.name for s in machine.signals if s.role is role), None)


def _column(machine: Machine, role: SignalRole, series: Columns) -> Column:
    name = _signal(machine, role)
    return series.get(name, Column.empty()) if name else Column.empty()


def _states(
    machine: Machine, state_map: StateMap | None, series: Columns
) -> tuple[StateChanges, Unlisted]:
    """The state changes in time order (columns are), each with the reason in effect."""
    unknown: list[tuple[int, str]] = []
    if isinstance(state_map, FlagsStateMap):
        flagged = _flag_states(state_map, series)
        ts = np.array([at for at, _ in flagged], dtype=np.int64)
        categories = np.array([CATEGORY_CODE[c] for _, c in flagged], dtype=np.int8)
    else:
        ts, categories = _mapped(state_map, _column(machine, SignalRole.STATE, series), unknown)
    reasons, names = _reasons_at(ts, _column(machine, SignalRole.REASON, series))
    changes = StateChanges(ts, categories, reasons, names)
    entries = series.get(OPERATOR_REASON)
    if entries is not None and len(entries):
        changes = with_entries(changes, entries)
    return changes, Unlisted.of(unknown)


_UNKNOWN = CATEGORY_CODE[StateCategory.UNKNOWN]


def _mapped(
    state_map: StateMap | None, column: Column, unknown: list[tuple[int, str]]
) -> tuple[Int64s, Int8s]:
    """Each state sample's category code; a value the map does not list is noted in
    ``unknown``. Each distinct value is looked up once (a signal's values share one type)."""
    if not isinstance(state_map, ValueStateMap) or not len(column):
        return column.ts, np.full(len(column), _UNKNOWN, dtype=np.int8)
    categories = _codes(state_map, column)
    categories[column.quality == _BAD] = _UNKNOWN
    for at in np.flatnonzero(categories == -1).tolist():
        unknown.append((int(column.ts[at]), str(column.values[at])))
    categories[categories == -1] = CATEGORY_CODE[state_map.default]
    return column.ts, categories


def _codes(state_map: ValueStateMap, column: Column) -> Int8s:
    """Each value's category code, -1 for a value the map does not list."""
    numbers = column.numbers()
    if numbers is not None:  # each distinct number looked up once, then spread by numpy
        distinct, where = np.unique(numbers, return_inverse=True)
        looked_up = [_code(_listed(state_map, value)) for value in distinct.tolist()]
        return np.array(looked_up, np.int8)[where]
    listed = {value: _listed(state_map, value) for value in set(column.values) - {None}}
    code = {value: _code(category) for value, category in listed.items()}
    code[None] = _UNKNOWN
    return np.fromiter(map(code.__getitem__, column.values), np.int8, len(column))


def _code(category: StateCategory | None) -> int:
    return -1 if category is None else CATEGORY_CODE[category]


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


def _reasons_at(starts: Int64s, reasons: Column) -> tuple[Int32s, tuple[str, ...]]:
    """The reason of each state change: the one in effect at its start, or else the first set
    during it; as indexes into the reason names, whose first is "" (no reason)."""
    texts = _texts(reasons)
    names = ("", *sorted(set(texts) - {""}))
    number = {name: index for index, name in enumerate(names)}
    codes = np.fromiter(map(number.__getitem__, texts), np.int32, len(texts))
    if not len(codes):
        return np.zeros(len(starts), np.int32), names
    after = np.searchsorted(reasons.ts, starts, side="right")  # the first set after each start
    ends = np.append(starts[1:], np.iinfo(np.int64).max)
    before = np.where(after > 0, codes[np.maximum(after - 1, 0)], 0)
    following = np.minimum(after, len(codes) - 1)
    set_during = (after < len(codes)) & (reasons.ts[following] < ends)
    return np.where((before == 0) & set_during, codes[following], before).astype(np.int32), names


def _texts(column: Column) -> Sequence[str]:
    """A text column's values, "" where missing or bad."""
    values = column.values
    if not column.quality.any() and set(map(type, values)) <= {str}:
        return values  # type: ignore[return-value]  # all good, so none missing
    bad = (column.quality == _BAD).tolist()
    return ["" if value is None or is_bad else str(value)
            for value, is_bad in zip(values, bad, strict=True)]  # fmt: skip


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
    ts, numbers = column.ts, column.numbers()
    bad = column.quality == _BAD  # a bad sample has no value
    if numbers is not None and numbers.dtype == np.int64:
        values = numbers[~bad] if bad.any() else numbers
        ts = ts[~bad] if bad.any() else ts
    else:
        raw = column.values
        if bad.any():
            ts, raw = ts[~bad], [v for v, b in zip(raw, bad.tolist(), strict=True) if not b]
        values = np.array(raw, dtype=np.int64) if raw else np.zeros(0, np.int64)
    return increments(ts, values, signal.counter or Counter(), limit=limit,
                      order_changes=order_changes)  # fmt: skip
