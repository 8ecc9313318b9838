"""A machine's state over time as classified intervals: the piecewise-constant timeline.

Input are the state changes (each a time, a state category and the stop reason in effect),
sorted by time. Each change holds until the next one; before the first one the state is
unknown. Every interval gets one class of the time model:

* running, setup, planned stop and unknown come from the state category;
* a stop (idle, unplanned down, or not scheduled while the calendar plans production) takes its
  class from its reason when the reason catalog says more: a failure (``is_failure``) is a
  breakdown, a setup reason makes it setup, a planned-down reason a planned stop;
* the other stops are merged with their neighbours, and a merged stop lasting at most the
  small-stop threshold is a small stop, a longer one idling. A stop is classed by its whole
  length, wherever the period boundaries fall: this is what makes results window-invariant.

Consecutive breakdown intervals are one failure (a reason changing during a breakdown does not
make two).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smkit.oee.kernels import class_stops, runs_of, states_in_window
from smkit.plant.machine import Reason, StateCategory

RUN, SETUP, BREAKDOWN, STOP, SMALL_STOP, IDLE, PLANNED_STOP, UNKNOWN = range(8)
CLASS_NAMES = ("running", "setup", "breakdown", "stop", "small_stop", "idle", "planned_stop",
               "unknown")  # fmt: skip
CATEGORIES = list(StateCategory)
CATEGORY_CODE = {category: code for code, category in enumerate(CATEGORIES)}
_BY_CATEGORY = {
    StateCategory.RUNNING: RUN,
    StateCategory.SETUP: SETUP,
    StateCategory.PLANNED_DOWN: PLANNED_STOP,
    StateCategory.UNKNOWN: UNKNOWN,
    StateCategory.IDLE: STOP,
    StateCategory.UNPLANNED_DOWN: STOP,
    StateCategory.NOT_SCHEDULED: STOP,
}
_BY_REASON = {StateCategory.SETUP: SETUP, StateCategory.PLANNED_DOWN: PLANNED_STOP}

Int64s = npt.NDArray[np.int64]
Int8s = npt.NDArray[np.int8]


Int32s = npt.NDArray[np.int32]


@dataclass(frozen=True)
class StateChanges:
    """State changes of one machine, sorted by time: time (ns), category code, reason code.

    ``reason`` indexes ``reason_names``, whose entry 0 is "" (no reason).
    """

    ts: Int64s
    category: Int8s
    reason: Int32s
    reason_names: tuple[str, ...] = ("",)

    @classmethod
    def of(cls, changes: Sequence[tuple[int, StateCategory, str]]) -> StateChanges:
        """From ``(ts, category, reason)`` tuples in any order; on equal times the last wins."""
        ordered = [c for _, c in sorted(enumerate(changes), key=lambda i: (i[1][0], i[0]))]
        names = ("", *sorted({c[2] for c in ordered} - {""}))
        code = {name: number for number, name in enumerate(names)}
        return cls(
            np.array([c[0] for c in ordered], dtype=np.int64),
            np.array([CATEGORY_CODE[c[1]] for c in ordered], dtype=np.int8),
            np.array([code[c[2]] for c in ordered], dtype=np.int32),
            names,
        )


@dataclass(frozen=True)
class Timeline:
    """Classified intervals ``[start[i], start[i+1])`` covering [begin, end) without gaps (the
    last one ends at ``end``)."""

    start: Int64s
    end: int
    kind: Int8s
    reason: Int32s
    reason_names: tuple[str, ...]

    def runs(self, kind: int) -> tuple[Int64s, Int64s]:
        """Start and end of each run of consecutive intervals of class ``kind``."""
        return runs_of(self.start, self.end, self.kind, kind)


def timeline(  # noqa: PLR0917 - the timeline's inputs, each needed
    changes: StateChanges,
    begin: int,
    end: int,
    reasons: Mapping[str, Reason],
    small_stop_ns: int,
    max_hold_ns: int | None = None,
) -> Timeline:
    """The classified timeline of [begin, end) (changes before it only set the first state).

    With ``max_hold_ns``, a state not confirmed by a new sample within that time becomes
    unknown (for sources that report their state periodically: silence means no data).
    """
    ts, category, reason = changes.ts, changes.category, changes.reason
    if max_hold_ns is not None:
        ts, category, reason = _expire(*_last_of_each_time(changes), max_hold_ns, end)
    table = _class_table(changes.reason_names, reasons)
    unknown = CATEGORY_CODE[StateCategory.UNKNOWN]
    starts, kinds, codes = states_in_window((ts, category, reason), (begin, end), table, unknown)
    class_stops(starts, end, kinds, (STOP, SMALL_STOP, IDLE), small_stop_ns)
    return Timeline(starts, end, kinds, codes, changes.reason_names)


def _last_of_each_time(changes: StateChanges) -> tuple[Int64s, Int8s, Int32s]:
    """Equal times keep their last change."""
    ts, category, reason = changes.ts, changes.category, changes.reason
    if len(ts) == 0:
        return ts, category, reason
    keep = np.append(ts[1:] != ts[:-1], True)
    return ts[keep], category[keep], reason[keep]


def _expire(
    ts: Int64s, category: Int8s, reason: Int32s, max_hold_ns: int, end: int
) -> tuple[Int64s, Int8s, Int32s]:
    """An unknown state inserted ``max_hold_ns`` after every change followed by silence."""
    following = np.append(ts[1:], max(end, int(ts[-1]) + 1) if len(ts) else end)
    stale = (following - ts) > max_hold_ns
    if not stale.any():
        return ts, category, reason
    unknown = CATEGORY_CODE[StateCategory.UNKNOWN]
    merged_ts = np.concatenate((ts, ts[stale] + max_hold_ns))
    order = np.argsort(merged_ts, kind="stable")
    merged_category = np.concatenate((category, np.full(int(stale.sum()), unknown, np.int8)))
    merged_reason = np.concatenate((reason, np.zeros(int(stale.sum()), np.int32)))
    return merged_ts[order], merged_category[order], merged_reason[order]


def _class_table(names: Sequence[str], reasons: Mapping[str, Reason]) -> Int8s:
    """The class of every (category, reason) pair."""
    table = np.empty((len(CATEGORIES), len(names)), dtype=np.int8)
    for row, category in enumerate(CATEGORIES):
        for column, name in enumerate(names):
            table[row, column] = _classify(category, name, reasons)
    return table


def _classify(category: StateCategory, code: str, reasons: Mapping[str, Reason]) -> int:
    kind = _BY_CATEGORY[category]
    if kind != STOP or not code:
        return kind
    known = reasons.get(code)
    if known is None:
        return STOP
    if known.is_failure:
        return BREAKDOWN
    return _BY_REASON.get(known.category, STOP)
