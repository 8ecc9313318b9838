"""Results per machine and period, and their roll-ups: elements summed, then divided.

A roll-up groups period results by entity (machine, line, area or site) and bucket (shift,
hour, production day, ISO week, month, or the whole window) and adds their elements. Days,
weeks and months include the time between shifts, so their calendar time is whole (for TEEP).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from smkit.oee.elements import Elements, total
from smkit.oee.periods import NO_SHIFT
from smkit.oee.timeline import StateChanges
from smkit.plant.model import MachinePlace

Level = Literal["machine", "line", "area", "site"]
Bucket = Literal["shift", "hour", "day", "week", "month", "window"]


@dataclass(frozen=True)
class PeriodResult:
    """The elements of one machine in one atomic period (a shift, a gap, an hour)."""

    machine: str
    place: MachinePlace
    key: tuple[str, ...]
    start: int
    end: int
    elements: Elements


@dataclass(frozen=True)
class Computed:
    """One machine's results, with when it runs at or after each period's end (None: not yet
    by the data read), and its state changes as the engine saw them."""

    results: list[PeriodResult]
    running_again: list[int | None]
    states: StateChanges


@dataclass(frozen=True)
class Group:
    """A roll-up: which entity, which bucket, the time span covered, the summed elements."""

    level: Level
    entity: str
    bucket: str
    start: int
    end: int
    elements: Elements
    machines: tuple[str, ...]


def entity_of(result: PeriodResult, level: Level) -> str:
    """The machine, line, area or site a result belongs to at ``level``."""
    place = result.place
    if level == "machine":
        return result.machine
    if level == "line":
        return f"{place.area}/{place.line}"
    return place.area if level == "area" else place.site


def bucket_of(result: PeriodResult, by: Bucket) -> str | None:
    """The bucket of a result; None when it has no place in it (a gap in a shift report)."""
    kind, *rest = result.key
    if by in ("shift", "hour"):
        if kind == "hour":
            return rest[0] if by == "hour" else None
        return None if rest[1] == NO_SHIFT else f"{rest[0]} {rest[1]}"
    day = dt.date.fromisoformat(rest[1][:10] if kind == "hour" else rest[0])
    if by == "day":
        return day.isoformat()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    return "window"


def roll_up(results: Iterable[PeriodResult], level: Level, by: Bucket) -> list[Group]:
    """Sum results by (entity, bucket), in time order then entity."""
    groups: dict[tuple[str, str], list[PeriodResult]] = {}
    for result in results:
        bucket = bucket_of(result, by)
        if bucket is not None:
            groups.setdefault((entity_of(result, level), bucket), []).append(result)
    out = [_group(level, entity, bucket, members) for (entity, bucket), members in groups.items()]
    return sorted(out, key=lambda g: (g.start, g.entity))


def _group(level: Level, entity: str, bucket: str, members: Sequence[PeriodResult]) -> Group:
    machines = tuple(sorted({m.machine for m in members}))
    # Calendar time adds up per machine, as planned time does: a line's TEEP is over the
    # hours of its machines.
    return Group(
        level,
        entity,
        bucket,
        min(m.start for m in members),
        max(m.end for m in members),
        total(m.elements for m in members),
        machines,
    )
