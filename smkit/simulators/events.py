"""What a simulated machine did: the event log that ground truth and served signals derive from."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from smkit.plant.machine import StateCategory


@dataclass(frozen=True)
class StateChange:
    """From ``ts`` on, the machine is in ``category``; ``cause`` says why (for truth and tests).

    Causes: running, failure, changeover, micro_stop, starved, blocked, end_of_window, break, off.
    """

    ts: int
    machine: str
    category: StateCategory
    reason: str | None
    cause: str


@dataclass(frozen=True)
class Cycle:
    """A machine cycle that ran from ``start`` to ``ts`` and made ``units`` parts."""

    ts: int
    machine: str
    start: int
    product: str
    order: str
    units: int
    good: int
    startup_rejects: int
    process_rejects: int
    ideal_ns: int


@dataclass(frozen=True)
class OrderStart:
    """From ``ts`` on, the machine works on ``order`` making ``product``."""

    ts: int
    machine: str
    order: str
    product: str


Event = StateChange | Cycle | OrderStart


def to_json_line(event: Event) -> str:
    """One event as a JSON line with sorted keys (byte-identical for identical events)."""
    record = asdict(event)
    record["event"] = type(event).__name__
    return json.dumps(record, sort_keys=True, separators=(",", ":"))
