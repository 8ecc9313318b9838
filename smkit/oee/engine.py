"""The OEE engine: one machine's timeline and counts, cut by periods into time-model elements.

Pure and vectorised (numpy): no clock (``horizon_ns`` says how far time has run), no database.
For each period (a shift occurrence, an hour, any window) with its planned production intervals:

* the classified timeline is intersected with the planned intervals, giving nanoseconds per
  class (running, setup, breakdown, small stop, idling, planned stop, unknown) and downtime per
  reason; running time inside the period but outside planned time is reported apart;
* a failure belongs to the period in whose planned time it begins, with its whole length;
* units are credited at their counter sample's time: inside planned time (``(start, end]`` of a
  planned interval) they count for performance and quality, with the ideal cycle time of the
  product in production at that moment; outside it they are reported as ``outside_count``.
  Rejects within ``startup_ns`` after a setup are start-up rejects.

Time per class and per reason, and failures, are summed in int64 by compiled loops
(``kernels``); planned time is summed by numpy in float64, exact below 2**53 ns (104 days) per
period, which :func:`compute` checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from smkit.oee.elements import Elements
from smkit.oee.kernels import planned_sums
from smkit.oee.model import MachineData, Period, Settings, Unlisted
from smkit.oee.planned import PlannedIndex
from smkit.oee.timeline import (
    BREAKDOWN,
    CLASS_NAMES,
    IDLE,
    PLANNED_STOP,
    RUN,
    SETUP,
    SMALL_STOP,
    UNKNOWN,
    StateChanges,
    Timeline,
    timeline,
)
from smkit.oee.unit_counts import count_columns

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
_EXACT_LIMIT = 2**53
_CLASS_FIELD = {RUN: "running_ns", SETUP: "setup_ns", BREAKDOWN: "breakdown_ns",
                SMALL_STOP: "small_stop_ns", IDLE: "idle_ns", PLANNED_STOP: "planned_stop_ns",
                UNKNOWN: "unknown_ns"}  # fmt: skip
_IS_DOWN = np.isin(np.arange(8), (SETUP, BREAKDOWN, SMALL_STOP, IDLE, PLANNED_STOP))


def compute(
    data: MachineData, periods: Sequence[Period], settings: Settings, horizon_ns: int
) -> list[Elements]:
    """The elements of each period (disjoint, sorted); time after ``horizon_ns`` has not come.

    The timeline is :func:`timeline_of` the first period's start. Each step gives columns (a
    value per period); the elements are assembled from them at the end.
    """
    if not periods:
        return []
    clipped = [p if p.end <= horizon_ns else _clip(p, horizon_ns) for p in periods]
    starts = np.array([p.start for p in clipped], dtype=np.int64)
    ends = np.array([p.end for p in clipped], dtype=np.int64)
    if (ends - starts).max() >= _EXACT_LIMIT:
        raise ValueError("a period is longer than 104 days; split it")
    if (starts[1:] < ends[:-1]).any():
        raise ValueError("periods must be in time order and must not overlap")
    line = timeline_of(data.states, int(starts.min()), settings, horizon_ns)
    planned = PlannedIndex([p.planned for p in clipped])
    columns: Columns = {
        "all_ns": (ends - starts).tolist(),
        "planned_ns": np.bincount(
            planned.period, weights=planned.end - planned.start, minlength=len(clipped)
        )
        .astype(np.int64)
        .tolist(),
        "unknown_states": _unlisted_per_period(data.unknown_states, starts, ends),
    }
    if data.sample_times is not None:
        columns |= _silent(data.sample_times, starts, ends, columns["planned_ns"])
    columns |= _time(line, planned, (starts, ends))
    columns |= count_columns(data, line, planned, (starts, ends), settings.startup_ns)
    return _assemble(columns, len(clipped))


def timeline_of(
    changes: StateChanges, first_ns: int, settings: Settings, horizon_ns: int
) -> Timeline:
    """The classified timeline the engine cuts periods from when the first begins at
    ``first_ns``: from the small-stop threshold before it, so a stop is classed by its whole
    length, to the horizon, so a failure's length does not depend on the periods asked for."""
    begin = first_ns - settings.small_stop_ns - 1
    return timeline(changes, begin, max(begin + 1, horizon_ns), settings.reasons,
                    settings.small_stop_ns, settings.max_hold_ns)  # fmt: skip


Columns = dict[str, Sequence[Any]]
_FIELDS = fields(Elements)


def _assemble(columns: Columns, count: int) -> list[Elements]:
    """One Elements per period from the columns (a field without a column keeps its default)."""
    values = [columns[f.name] if f.name in columns else [f.default] * count for f in _FIELDS]
    return [Elements(*row) for row in zip(*values, strict=True)]


def _in_each(ts: Int64s, starts: Int64s, ends: Int64s) -> tuple[Int64s, Int64s]:
    """For sorted times: the index of the first in each period's ``[start, end)`` and the one
    after its last (equal when the period holds none)."""
    return np.searchsorted(ts, starts, side="left"), np.searchsorted(ts, ends, side="left")


def _unlisted_per_period(unlisted: Unlisted, starts: Int64s, ends: Int64s) -> list[dict[str, int]]:
    """The unlisted state values sent in each period's ``[start, end)``, counted by value."""
    if not len(unlisted.ts):
        return [{} for _ in range(len(starts))]
    first, last = _in_each(unlisted.ts, starts, ends)
    out: list[dict[str, int]] = []
    for a, b in zip(first.tolist(), last.tolist(), strict=True):
        counted: dict[str, int] = {}
        for value in unlisted.values[a:b]:
            counted[value] = counted.get(value, 0) + 1
        out.append(counted)
    return out


_NONE_BEFORE = np.iinfo(np.int64).min


def _silent(
    times: Sequence[Int64s], starts: Int64s, ends: Int64s, planned: Sequence[int]
) -> Columns:
    """Periods with planned time and no sample of any signal (each sorted ``times``) in
    ``[start, end)``, and the time of the last sample before each (None: none before it)."""
    seen = np.zeros(len(starts), dtype=np.bool_)
    before = np.full(len(starts), _NONE_BEFORE, dtype=np.int64)
    for ts in times:
        first, last = _in_each(ts, starts, ends)
        seen |= last > first
        found = first > 0
        before[found] = np.maximum(before[found], ts[first[found] - 1])
    silent = (~seen & (np.asarray(planned) > 0)).tolist()
    since = [None if b == _NONE_BEFORE else b for b in before.tolist()]
    return {
        "no_data": [int(flag) for flag in silent],
        "no_data_since_ns": [b if flag else None for flag, b in zip(silent, since, strict=True)],
    }


def _clip(period: Period, horizon_ns: int) -> Period:
    planned = tuple((a, min(b, horizon_ns)) for a, b in period.planned if a < min(b, horizon_ns))
    return Period(period.key, period.start, min(period.end, max(period.start, horizon_ns)), planned)


def _time(line: Timeline, planned: PlannedIndex, bounds: tuple[Int64s, Int64s]) -> Columns:
    """Time per class in planned time, running time outside it, downtime per reason; the
    failures that begin in planned time, and their whole length."""
    starts, ends = bounds
    count = len(starts)
    label_names, class_labels = _labels(line)
    walked = planned_sums(
        (line.start, line.end, line.kind, line.reason), class_labels,
        (planned.start, planned.end, planned.period), (starts, ends), len(label_names),
        (_IS_DOWN, BREAKDOWN, RUN),
    )  # fmt: skip
    sums = walked.by_class
    columns: Columns = {name: sums[:, code].tolist() for code, name in _CLASS_FIELD.items()}
    columns["outside_running_ns"] = (walked.running - sums[:, RUN]).tolist()
    columns["failures"], columns["failure_ns"] = walked.failures.T.tolist()
    by_reason: list[dict[str, int]] = [{} for _ in range(count)]
    names = [label_names[i] for i in walked.entry_label.tolist()]
    entries = zip(walked.entry_period.tolist(), names, walked.entry_ns.tolist(), strict=True)
    for owner, name, time in entries:
        by_reason[owner][name] = time  # one entry per (period, label)
    columns["downtime_by_reason"] = by_reason
    return columns


def _labels(line: Timeline) -> tuple[list[str], Int64s]:
    """Downtime labels: a stop's reason, or "(class)" for a stop without one; their names and
    the label of each class (names are unique, so each (period, label) sum is one entry)."""
    names = list(line.reason_names)
    for name in CLASS_NAMES:
        if f"({name})" not in names:
            names.append(f"({name})")
    return names, np.array([names.index(f"({name})") for name in CLASS_NAMES], dtype=np.int64)
