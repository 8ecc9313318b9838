"""Live status of every machine: its state now and since when, reason, order and product, this
shift so far (elements, from which A, P, Q and OEE), and the age of its newest sample.

One reading per machine serves both the shift's elements and the state: the current shift (or
the gap between shifts) is read from its start to now, with each signal's last sample before
it, so a state that began before the shift is still known.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

import numpy as np

from smkit.core.columns import Columns
from smkit.core.sample import Value
from smkit.core.timeunits import DAY_NS
from smkit.historian.protocol import Historian
from smkit.oee.elements import Elements
from smkit.oee.inputs import signals_read
from smkit.oee.periods import shift_periods
from smkit.oee.runner import elements_of, machine_series, settings_of
from smkit.oee.timeline import CATEGORIES, StateChanges
from smkit.plant.machine import Machine, SignalRole, StateCategory
from smkit.plant.model import MachinePlace, Plant


@dataclass(frozen=True)
class CurrentState:
    """The state category now, the raw value it came from (None for flag maps), since when
    (``since_ns``: the first sample of this state in what was read; ``since_exact`` is false
    when that is the first sample read, so the state may have begun earlier), and its reason."""

    category: StateCategory
    raw: Value
    since_ns: int
    since_exact: bool
    reason: str | None


@dataclass(frozen=True)
class MachineStatus:
    """One machine now. ``period`` is the current shift's key (or the gap's), ``elements`` this
    period from its start to now."""

    machine: str
    place: MachinePlace
    state: CurrentState | None
    order: Value
    product: Value
    period: tuple[str, ...]
    period_start_ns: int
    period_end_ns: int
    elements: Elements
    newest_sample_ns: int | None


def current_state(changes: StateChanges, raw: Value) -> CurrentState | None:
    """The last state of the changes and when its run began; None when no state is known."""
    if not len(changes.ts):
        return None
    last = len(changes.ts) - 1
    differs = np.flatnonzero(changes.category[:last] != changes.category[last])
    begins = int(differs[-1]) + 1 if len(differs) else 0
    code = int(changes.reason[last])
    return CurrentState(CATEGORIES[int(changes.category[last])], raw, int(changes.ts[begins]),
                        begins > 0, changes.reason_names[code] if code else None)  # fmt: skip


def last_value(series: Columns, machine: Machine, role: SignalRole) -> Value:
    """The newest value of the machine's signal of this role (None when it has none)."""
    name = next((s.name for s in machine.signals if s.role is role), None)
    column = series.get(name) if name is not None else None
    return column.values[-1] if column is not None and len(column) else None


async def machine_status(
    plant: Plant, historian: Historian, machine: Machine, place: MachinePlace, now_ns: int
) -> MachineStatus:
    """One machine's status at ``now_ns``, from one read of its current period."""
    state_map = plant.state_maps.get(machine.state_map) if machine.state_map else None
    settings = settings_of(plant)
    # the current period clipped to now (its elements so far), and whole (its end)
    period = shift_periods(plant, machine.id, now_ns - DAY_NS, now_ns + 1)[-1]
    whole = shift_periods(plant, machine.id, period.start, now_ns + DAY_NS)[0]
    series = await machine_series(historian, machine, state_map, signals_read(machine, state_map),
                                  (period.start, now_ns + 1), settings=settings,
                                  horizon_ns=now_ns + 1)  # fmt: skip
    (elements,), states = await asyncio.to_thread(elements_of, machine, state_map, series,
                                                  periods=[period], settings=settings,
                                                  horizon_ns=now_ns + 1)  # fmt: skip
    raw = last_value(series, machine, SignalRole.STATE)
    return MachineStatus(
        machine.id, place, current_state(states, raw),
        last_value(series, machine, SignalRole.ORDER),
        last_value(series, machine, SignalRole.PRODUCT), period.key, period.start, whole.end,
        elements, None,
    )  # fmt: skip


async def plant_status(plant: Plant, historian: Historian, now_ns: int) -> list[MachineStatus]:
    """Every machine's status at ``now_ns``, with the time of its newest sample of any signal."""
    newest: dict[str, int] = {}
    for sample in await historian.latest():
        newest[sample.machine_id] = max(sample.ts, newest.get(sample.machine_id, sample.ts))
    out = []
    for place, machine in plant.machines():
        status = await machine_status(plant, historian, machine, place, now_ns)
        out.append(dataclasses.replace(status, newest_sample_ns=newest.get(machine.id)))
    return out
