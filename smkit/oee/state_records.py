"""``machine_state`` records: each change of a machine's state category or reason as the engine
saw it (state map applied, people's reasons laid over the machine's), for state timelines.

One record per change, at its instant, tags ``site, area, line, machine``, fields ``category``
(``running``, ``idle``, ...), ``code`` (its number, for colour mappings) and ``reason`` (``""``:
none). A change is one where the category or the reason differs from the state before it, so
writing a window again writes the same records.
"""

from __future__ import annotations

from smkit.historian.protocol import Record
from smkit.oee.timeline import CATEGORIES, StateChanges
from smkit.plant.model import MachinePlace

STATE_MEASUREMENT = "machine_state"


def state_records(
    place: MachinePlace, machine: str, changes: StateChanges, start_ns: int, end_ns: int
) -> list[Record]:
    """The machine's changes of state in [start_ns, end_ns)."""
    tags = {"site": place.site, "area": place.area, "line": place.line, "machine": machine}
    out = []
    before: tuple[int, int] | None = None
    for ts, code, reason in zip(changes.ts.tolist(), changes.category.tolist(),
                                changes.reason.tolist(), strict=True):  # fmt: skip
        now = (code, reason)
        if now != before and start_ns <= ts < end_ns:
            fields = {"category": CATEGORIES[code].value, "code": code,
                      "reason": changes.reason_names[reason]}  # fmt: skip
            out.append(Record(STATE_MEASUREMENT, tags, fields, ts))
        before = now
    return out
