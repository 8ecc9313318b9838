"""The OEE engine's I/O edge: read a plant's samples, compute, write KPI records.

For each machine the window's samples are read (with each series' last sample before it), and
after the window its state and reason until it runs again: a stop, a failure and its reason are
measured to their real end however far past the window that is (a machine down over a
weekend), and the last state is held up to the horizon ("now") only when the data really ends
there. They are turned into engine input (``inputs``), cut into periods from the calendar
(``periods``) and computed (``engine``) in a worker thread, so that inside ``smkit collect`` the
event loop goes on collecting meanwhile.

Records (``oee`` per machine and shift, ``downtime`` per machine, shift and reason) are keyed by
their tags and the shift's start, so writing them again replaces them: a shift in progress is
written again and again as it grows (its ``final`` field is false until it ends and the
small-stop threshold has passed), and a rerun over closed shifts changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from fractions import Fraction

from smkit.core.columns import Column, Columns, joined
from smkit.core.timeunits import NS_PER_S
from smkit.historian.protocol import FieldValue, Historian, Record
from smkit.oee.elements import IDEAL_FIELDS, Elements, kpis, total
from smkit.oee.engine import compute, timeline_of
from smkit.oee.entries import OPERATOR_REASON
from smkit.oee.inputs import (
    machine_data_of,
    running_again,
    runs_from,
    signals_read,
    state_changes_of,
    state_signals,
)
from smkit.oee.model import Period, Settings
from smkit.oee.period_records import kept_of, plant_digest, to_record, whole_of
from smkit.oee.periods import NO_SHIFT, clipped, hour_periods, shift_periods
from smkit.oee.rollup import Computed, PeriodResult
from smkit.oee.state_records import state_records
from smkit.oee.stops import Stop, sourced, stops
from smkit.oee.timeline import StateChanges
from smkit.plant.machine import Machine, StateMap
from smkit.plant.model import MachinePlace, Plant

log = logging.getLogger("smkit.oee")
FIRST_LOOK_AHEAD_NS = 3600 * NS_PER_S
"""After the window, state samples are read in spans growing fourfold from an hour."""
OEE_MEASUREMENT = "oee"
DOWNTIME_MEASUREMENT = "downtime"
_Chosen = tuple[MachinePlace, Machine, StateMap | None]
"""A machine to compute, with its place and state map."""


def settings_of(plant: Plant) -> Settings:
    """The engine's rules from plant.yaml."""
    return Settings(
        reasons={reason.code: reason for reason in plant.reasons},
        small_stop_ns=round(plant.oee.small_stop_threshold * NS_PER_S),
        startup_ns=round(plant.oee.startup_window * NS_PER_S),
        max_hold_ns=None
        if plant.oee.state_max_hold is None
        else round(plant.oee.state_max_hold * NS_PER_S),
    )


async def period_results(
    plant: Plant,
    historian: Historian,
    start_ns: int,
    end_ns: int,
    *,
    horizon_ns: int,
    machines: Sequence[str] | None = None,
    hourly: bool = False,
) -> list[PeriodResult]:
    """Every machine's (or ``machines``') elements per shift (or hour) of [start_ns, end_ns)."""
    computed = computed_periods(plant, historian, start_ns, end_ns, horizon_ns=horizon_ns,
                                machines=machines, hourly=hourly)  # fmt: skip
    async with contextlib.aclosing(computed) as each_machine:
        return [result async for found in each_machine for result in found.results]


async def computed_periods(
    plant: Plant,
    historian: Historian,
    start_ns: int,
    end_ns: int,
    *,
    horizon_ns: int,
    machines: Sequence[str] | None = None,
    hourly: bool = False,
) -> AsyncGenerator[Computed]:
    """Machine after machine (see :func:`period_results`), the next one read meanwhile."""
    settings = settings_of(plant)

    async def series_of(chosen: _Chosen) -> Columns:
        _, machine, state_map = chosen
        read = signals_read(machine, state_map)
        return await machine_series(historian, machine, state_map, read, (start_ns, end_ns),
                                     settings=settings, horizon_ns=horizon_ns)  # fmt: skip

    ahead = _read_ahead(list(_chosen(plant, machines)), series_of)
    async with contextlib.aclosing(ahead) as machines_read:
        async for (place, machine, state_map), series in machines_read:
            periods = shift_periods(plant, machine.id, start_ns, end_ns)
            if hourly:
                periods = hour_periods(periods, plant.site.timezone)
            computed, states = await asyncio.to_thread(
                elements_of, machine, state_map, series, periods=periods, settings=settings,
                horizon_ns=horizon_ns,
            )  # fmt: skip
            again = running_again(states, [p.end for p in periods])
            yield Computed([PeriodResult(machine.id, place, period.key, period.start, period.end,
                                         elements)
                            for period, elements in zip(periods, computed, strict=True)],
                           again, states)  # fmt: skip


async def window_elements(
    plant: Plant, historian: Historian, machine_id: str, start_ns: int, end_ns: int
) -> Elements:
    """The machine's elements over exactly [start_ns, end_ns) (a job order's span so far),
    its shifts' planned time clipped to it; ``end_ns`` is taken as now."""
    _, machine, state_map = next(c for c in _chosen(plant, [machine_id]))
    settings = settings_of(plant)
    read = signals_read(machine, state_map)
    series = await machine_series(historian, machine, state_map, read, (start_ns, end_ns),
                                  settings=settings, horizon_ns=end_ns)  # fmt: skip
    periods = clipped(shift_periods(plant, machine_id, start_ns, end_ns), start_ns, end_ns)
    computed, _ = await asyncio.to_thread(elements_of, machine, state_map, series,
                                          periods=periods, settings=settings,
                                          horizon_ns=end_ns)  # fmt: skip
    return total(computed)


async def _read_ahead(
    chosen: Sequence[_Chosen], read: Callable[[_Chosen], Awaitable[Columns]]
) -> AsyncGenerator[tuple[_Chosen, Columns]]:
    """Each machine with its series; the next machine's read is under way while the caller
    computes this one, so the database answers (or SQLite steps, without the GIL) meanwhile."""
    if not chosen:
        return
    pending = asyncio.ensure_future(read(chosen[0]))
    try:
        for item, following in zip(chosen, [*chosen[1:], None], strict=True):
            series = await pending
            if following is not None:
                pending = asyncio.ensure_future(read(following))
            yield item, series
    finally:  # when the caller stopped early, the read ahead is not wanted
        if not pending.done():
            pending.cancel()
            pending.add_done_callback(lambda task: task.cancelled() or task.exception())


async def machine_stops(
    plant: Plant,
    historian: Historian,
    start_ns: int,
    end_ns: int,
    *,
    horizon_ns: int,
    machines: Sequence[str] | None = None,
) -> dict[str, list[Stop]]:
    """Every machine's (or ``machines``') downtime events in planned time of [start_ns, end_ns),
    each measured to its end (see :mod:`smkit.oee.stops`)."""
    settings = settings_of(plant)
    out: dict[str, list[Stop]] = {}
    for _, machine, state_map in _chosen(plant, machines):
        names = state_signals(machine, state_map)
        series = await machine_series(historian, machine, state_map, names, (start_ns, end_ns),
                                       settings=settings, horizon_ns=horizon_ns)  # fmt: skip
        planned = [i for p in shift_periods(plant, machine.id, start_ns, end_ns) for i in p.planned]
        horizon, window = max(horizon_ns, start_ns), (start_ns, min(end_ns, horizon_ns))
        columns = [series]  # and without people's entries, only when there are some
        if len(series.get(OPERATOR_REASON, ())):
            columns.append({n: c for n, c in series.items() if n != OPERATOR_REASON})
        lines = [timeline_of(state_changes_of(machine, state_map, each), start_ns, settings,
                             horizon) for each in columns]  # fmt: skip
        found = [stops(line, planned, window) for line in lines]
        out[machine.id] = sourced(found[0], found[-1])
    return out


def _chosen(plant: Plant, machines: Sequence[str] | None) -> Iterator[_Chosen]:
    """The plant's machines (or those of ``machines``), each with its place and state map."""
    for place, machine in plant.machines():
        if machines is None or machine.id in machines:
            state_map = plant.state_maps.get(machine.state_map) if machine.state_map else None
            yield place, machine, state_map


async def machine_series(
    historian: Historian,
    machine: Machine,
    state_map: StateMap | None,
    names: Sequence[str],
    window: tuple[int, int],
    *,
    settings: Settings,
    horizon_ns: int,
) -> Columns:
    """The signals ``names`` of the window, with each one's last sample before it, and the
    state and reason after it until the machine runs again (see the module docstring)."""
    start_ns, end_ns = window
    read_from = start_ns - settings.small_stop_ns - 1
    read_to = max(min(end_ns, horizon_ns), start_ns) + 1  # units at the end count in it
    series = await historian.read_columns(machine.id, read_from, read_to, list(names))
    if not runs_from(machine, state_map, _last_of_each(series), read_to - 1):
        ahead = await _until_running(historian, machine, state_map, read_to, horizon_ns)
        series = joined(series, ahead)
    return series


def _last_of_each(series: Columns) -> dict[str, Column]:
    """The newest sample of each signal."""
    return {name: c.last() for name, c in series.items() if len(c)}


async def _until_running(
    historian: Historian,
    machine: Machine,
    state_map: StateMap | None,
    from_ns: int,
    horizon_ns: int,
) -> dict[str, Column]:
    """The state and reason samples from ``from_ns`` until the machine runs again (or the
    horizon), read in growing spans: nothing more when it is running at ``from_ns``."""
    names = state_signals(machine, state_map)
    found: dict[str, Column] = {}
    begin, span = from_ns, FIRST_LOOK_AHEAD_NS
    while names and begin < horizon_ns:
        upto = min(begin + span, horizon_ns)
        read = await historian.read_columns(machine.id, begin, upto, names)
        found = joined(found, read)
        if runs_from(machine, state_map, read, from_ns):
            break
        begin, span = upto, span * 4
    return found


def elements_of(
    machine: Machine,
    state_map: StateMap | None,
    series: Columns,
    *,
    periods: Sequence[Period],
    settings: Settings,
    horizon_ns: int,
) -> tuple[list[Elements], StateChanges]:
    """Each period's elements, and the state changes the engine read them from."""
    data = machine_data_of(machine, state_map, series)
    return compute(data, periods, settings, horizon_ns), data.states


def records(
    results: Sequence[PeriodResult],
    horizon_ns: int,
    small_stop_ns: int,
    *,
    exclude_unknown: bool = False,
) -> list[Record]:
    """``oee`` and ``downtime`` records of shift results (gaps between shifts are left out)."""
    out = []
    for result in results:
        kind, day, shift = result.key[:3]
        if kind != "shift" or shift == NO_SHIFT:
            continue
        tags = {"site": result.place.site, "area": result.place.area, "line": result.place.line,
                "machine": result.machine, "period": "shift", "shift": shift}  # fmt: skip
        final = result.end + small_stop_ns < horizon_ns
        fields = {**oee_fields(result.elements, exclude_unknown=exclude_unknown), "day": day,
                  "final": final}  # fmt: skip
        out.append(Record(OEE_MEASUREMENT, tags, fields, result.start))
        for reason, ns in sorted(result.elements.downtime_by_reason.items()):
            down_tags = {**tags, "reason": reason}
            out.append(Record(DOWNTIME_MEASUREMENT, down_tags,
                              {"duration_s": ns / NS_PER_S, "day": day}, result.start))  # fmt: skip
    return out


def oee_fields(elements: Elements, *, exclude_unknown: bool = False) -> dict[str, FieldValue]:
    """KPIs as fractions of one (absent when there is no value), time elements in seconds,
    and the counts."""
    fields: dict[str, FieldValue] = {}
    for name, value in kpis(elements, exclude_unknown=exclude_unknown).items():
        if value.known:
            fields[name] = float(value)
    for name in ("all_ns", "planned_ns", "running_ns", "setup_ns", "breakdown_ns",
                 "small_stop_ns", "idle_ns", "planned_stop_ns", "unknown_ns",
                 "outside_running_ns", "failure_ns"):  # fmt: skip
        fields[name.removesuffix("_ns") + "_s"] = getattr(elements, name) / NS_PER_S
    for name in IDEAL_FIELDS:
        fields[name.removesuffix("_ns") + "_s"] = float(
            Fraction(getattr(elements, name)) / NS_PER_S
        )
    for name in ("total", "good", "rejects", "startup_rejects", "production_rejects", "rework",
                 "failures", "outside_count", "unpriced_count", "unapplied_adjustment",
                 "counter_anomalies", "no_data"):  # fmt: skip
        fields[name] = getattr(elements, name)
    # always written, so that a record rewritten once data came in does not keep an old time
    fields["no_data_since_s"] = (elements.no_data_since_ns or 0) / NS_PER_S
    return fields


async def run_once(
    plant: Plant,
    historian: Historian,
    start_ns: int,
    end_ns: int,
    *,
    horizon_ns: int,
    machines: Sequence[str] | None = None,
) -> int:
    """Compute [start_ns, end_ns) and write its records (``oee``, ``downtime``, the exact
    period records of :mod:`smkit.oee.period_records` and the state changes of
    :mod:`smkit.oee.state_records`); returns how many ``oee`` and ``downtime`` were written."""
    version = await historian.version()
    small_stop_ns = settings_of(plant).small_stop_ns
    config = plant_digest(plant)
    results, kept, states = [], [], []
    places = plant.places()
    computed = computed_periods(plant, historian, start_ns, end_ns, horizon_ns=horizon_ns,
                                machines=machines)  # fmt: skip
    async with contextlib.aclosing(computed) as each_machine:
        async for found in each_machine:
            results += found.results
            closed = kept_of(plant, found, version=version, horizon_ns=horizon_ns,
                             small_stop_ns=small_stop_ns)  # fmt: skip
            kept += [to_record(k, config) for k in whole_of(plant, found, closed)]
            machine = found.results[0].machine if found.results else None
            if machine is not None:
                states += state_records(places[machine], machine, found.states, start_ns,
                                        min(end_ns, horizon_ns))  # fmt: skip
    written = records(results, horizon_ns, small_stop_ns,
                      exclude_unknown=plant.oee.unknown_time == "excluded")  # fmt: skip
    written += await _gone_downtime(historian, written)
    await historian.write_records(written + kept + states)
    return len(written)


async def _gone_downtime(historian: Historian, written: Sequence[Record]) -> list[Record]:
    """A zero for each ``downtime`` record of the shifts written whose reason is no longer in
    them (a stop reclassified since): records are replaced per reason, so the old reason's would
    otherwise keep its time beside the new one's."""
    shifts = {(r.tags["machine"], r.ts) for r in written if r.measurement == OEE_MEASUREMENT}
    if not shifts:
        return []
    now = {(r.tags["machine"], r.ts, r.tags["reason"]) for r in written
           if r.measurement == DOWNTIME_MEASUREMENT}  # fmt: skip
    found = await historian.read_records(DOWNTIME_MEASUREMENT, min(ts for _, ts in shifts),
                                         max(ts for _, ts in shifts) + 1)  # fmt: skip
    return [Record(DOWNTIME_MEASUREMENT, r.tags, {**r.fields, "duration_s": 0.0}, r.ts)
            for r in found if (r.tags["machine"], r.ts) in shifts
            and (r.tags["machine"], r.ts, r.tags["reason"]) not in now
            and r.fields.get("duration_s") != 0.0]  # fmt: skip


def planned_machines(plant: Plant) -> list[str]:
    """Machines with a calendar (the others have no planned time to compute OEE over)."""
    calendars = {(a.id, ln.id): ln.calendar or plant.site.calendar
                 for a in plant.site.areas for ln in a.lines}  # fmt: skip
    return [m.id for place, m in plant.machines() if calendars[(place.area, place.line)]]
