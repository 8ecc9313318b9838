"""Reasons people give to stops (through the API), laid over the machine's own reasons.

They are samples of the machine's series :data:`OPERATOR_REASON`. An entry at an instant gives
its reason to the stop going on then, from that instant until the machine runs again or the
next entry; an empty entry gives the stop back the machine's reasons. So a stop is assigned a
reason by an entry at its start, reclassified by a new entry at the same instant (it replaces
the old one), and split by an entry inside it. Entries only ever relabel time the state
changes already cover: however they overlap, no time is counted twice. An entry while the
machine runs gives nothing.
"""

from __future__ import annotations

import bisect

from smkit.core.columns import Column
from smkit.core.sample import Quality
from smkit.oee.timeline import CATEGORIES, CATEGORY_CODE, StateChanges
from smkit.plant.machine import StateCategory

OPERATOR_REASON = "smkit.stop_reason"
"""The series of people's stop reasons: not a valid plant.yaml signal name, so no machine
signal can take it."""
_RUN = CATEGORY_CODE[StateCategory.RUNNING]
_BAD = int(Quality.BAD)


def with_entries(changes: StateChanges, entries: Column) -> StateChanges:
    """The state changes with each entry's reason over its span (see the module docstring)."""
    ts = changes.ts.tolist()
    category = changes.category.tolist()
    machine = [changes.reason_names[code] for code in changes.reason.tolist()]
    reason = list(machine)
    given = [(int(at), "" if value is None else str(value))
             for at, value, grade in zip(entries.ts.tolist(), entries.values,
                                         entries.quality.tolist(), strict=True)
             if grade != _BAD]  # fmt: skip
    for number, (at, text) in enumerate(given):
        row = bisect.bisect_right(ts, at) - 1
        if row < 0 or category[row] == _RUN:
            continue
        if ts[row] != at:  # the entry starts a new piece of the same state
            row += 1
            ts.insert(row, at)
            category.insert(row, category[row - 1])
            machine.insert(row, machine[row - 1])
            reason.insert(row, reason[row - 1])
        until = given[number + 1][0] if number + 1 < len(given) else None
        while row < len(ts) and category[row] != _RUN and (until is None or ts[row] < until):
            reason[row] = text or machine[row]
            row += 1
    rows = zip(ts, category, reason, strict=True)
    return StateChanges.of([(at, CATEGORIES[code], text) for at, code, text in rows])
