"""The shift calendar of plant.yaml materialised into UTC intervals (integer nanoseconds).

Shifts are declared in the site's local wall-clock time. Each occurrence of a shift becomes a
:class:`ShiftWindow`: its UTC span, and inside it the planned production time (the span minus
breaks and planned downtime). An overnight shift belongs to the production day it starts on. On
a day when the clocks change, a shift simply lasts what the wall clock says (7 or 9 hours for an
8-hour shift across the change); a wall-clock time that does not exist (inside the spring-forward
gap) is taken as the instant the clocks jumped. A shift that starts on a holiday does not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from smkit.core.timeunits import NS_PER_S as _NS
from smkit.plant.calendar import Break, Calendar, PlannedDowntime, Shift, Weekday

Interval = tuple[int, int]
"""[start, end) in UTC nanoseconds since the Unix epoch."""

_WEEK = list(Weekday)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ShiftWindow:
    """One occurrence of a shift: its span and the planned production intervals inside it."""

    shift: str
    day: dt.date
    start: int
    end: int
    planned: tuple[Interval, ...]

    @property
    def planned_ns(self) -> int:
        """Planned production time of this occurrence."""
        return sum(end - start for start, end in self.planned)


@lru_cache(maxsize=8192)
def to_utc_ns(moment: dt.datetime, zone: ZoneInfo) -> int:
    """A local wall-clock time as UTC nanoseconds (remembered: every machine on a calendar
    asks for the same shift boundaries).

    An ambiguous time (the hour repeated when clocks go back) is taken at its first occurrence;
    a time that does not exist (the hour skipped when clocks go forward) at the instant the
    clocks jumped, i.e. the first instant after the gap.
    """
    first = moment.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    if first.astimezone(zone).replace(tzinfo=None) != moment:
        first = _gap_end(moment, zone)
    elapsed = first - _EPOCH
    return (elapsed.days * 86_400 + elapsed.seconds) * _NS + elapsed.microseconds * 1_000


def _gap_end(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which a spring-forward gap containing ``moment`` ends.

    The two readings of a skipped time (fold 0 and 1) lie on either side of the transition, so a
    bisection between them finds it; transitions fall on whole seconds.
    """
    low = moment.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    high = moment.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    low, high = min(low, high), max(low, high)
    after = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def shift_windows(
    calendar: Calendar,
    timezone: str,
    start_ns: int,
    end_ns: int,
    *,
    machine: str | None = None,
    line: str | None = None,
) -> list[ShiftWindow]:
    """Every shift occurrence overlapping [start_ns, end_ns), in time order, clipped to it.

    Planned downtime applies when it names ``machine`` or ``line``, or names neither (site-wide).
    """
    zone = ZoneInfo(timezone)
    downtime = [
        (to_utc_ns(window.start, zone), to_utc_ns(window.end, zone))
        for window in calendar.planned_downtime
        if _applies(window, machine, line)
    ]
    holidays = set(calendar.holidays)
    windows = []
    for day in _days(start_ns, end_ns, zone):
        if day in holidays:
            continue
        for shift in calendar.shifts:
            if _WEEK[day.weekday()] not in shift.days:
                continue
            span = _span(shift, day, zone)
            clipped = (max(span[0], start_ns), min(span[1], end_ns))
            if clipped[0] >= clipped[1]:
                continue
            removed = [_break_span(shift, day, pause, zone) for pause in shift.breaks]
            planned = subtract([clipped], [*removed, *downtime])
            windows.append(ShiftWindow(shift.id, day, clipped[0], clipped[1], tuple(planned)))
    windows.sort(key=lambda window: window.start)
    return windows


def subtract(keep: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """The parts of ``keep`` not covered by any interval of ``remove``."""
    pieces = sorted(keep)
    for cut_start, cut_end in sorted(remove):
        next_pieces = []
        for start, end in pieces:
            if cut_end <= start or cut_start >= end:
                next_pieces.append((start, end))
                continue
            if start < cut_start:
                next_pieces.append((start, cut_start))
            if cut_end < end:
                next_pieces.append((cut_end, end))
        pieces = next_pieces
    return pieces


def _applies(window: PlannedDowntime, machine: str | None, line: str | None) -> bool:
    if not window.machines and not window.lines:
        return True
    return machine in window.machines or line in window.lines


def _days(start_ns: int, end_ns: int, zone: ZoneInfo) -> Iterator[dt.date]:
    """Local dates whose shifts may overlap the range (one day earlier for overnight shifts)."""
    first = dt.datetime.fromtimestamp(start_ns / _NS, zone).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(end_ns / _NS, zone).date()
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _span(shift: Shift, day: dt.date, zone: ZoneInfo) -> Interval:
    start = dt.datetime.combine(day, shift.start)
    end_day = day if shift.end > shift.start else day + dt.timedelta(days=1)
    return to_utc_ns(start, zone), to_utc_ns(dt.datetime.combine(end_day, shift.end), zone)


def _break_span(shift: Shift, day: dt.date, pause: Break, zone: ZoneInfo) -> Interval:
    """A break's span: on the shift's day, or the next one when it lies past midnight."""
    start, end = pause.start, pause.end
    start_day = day if start >= shift.start else day + dt.timedelta(days=1)
    end_day = start_day if end > start else start_day + dt.timedelta(days=1)
    return (
        to_utc_ns(dt.datetime.combine(start_day, start), zone),
        to_utc_ns(dt.datetime.combine(end_day, end), zone),
    )
