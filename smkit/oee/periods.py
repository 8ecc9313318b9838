"""The periods a machine is reported on, from the plant's calendar, in the site's local time.

The atomic periods partition the requested window: every shift occurrence (planned time = the
shift minus breaks and planned downtime) and the gaps between shifts (no planned time; running
and units there are reported as outside planned time). Hours cut them further at local hour
boundaries. Days, weeks and months are not computed but summed from shifts and gaps: an
overnight shift belongs to the production day it starts on.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from smkit.core.timeunits import NS_PER_S as _NS
from smkit.errors import ConfigError
from smkit.oee.model import Period
from smkit.plant.calendar import Calendar
from smkit.plant.model import Plant
from smkit.plant.schedule import Interval, ShiftWindow, shift_windows

NO_SHIFT = "-"


def calendar_of(plant: Plant, machine: str) -> Calendar:
    """The calendar that plans a machine: its line's, else the site's."""
    place = plant.places()[machine]
    line = next(ln for a in plant.site.areas if a.id == place.area for ln in a.lines
                if ln.id == place.line)  # fmt: skip
    name = line.calendar or plant.site.calendar
    if name is None:
        raise ConfigError(
            f"machine {machine} has no calendar: set calendar: on its line {place.line!r} or "
            "on the site (a calendar says when production is planned)"
        )
    return plant.calendars[name]


def shift_periods(plant: Plant, machine: str, start_ns: int, end_ns: int) -> list[Period]:
    """Shift occurrences and the gaps between them, covering [start_ns, end_ns)."""
    if end_ns <= start_ns:
        raise ValueError("the window ends before it starts")
    place = plant.places()[machine]
    windows = shift_windows(calendar_of(plant, machine), plant.site.timezone, start_ns, end_ns,
                            machine=machine, line=place.line)  # fmt: skip
    zone = ZoneInfo(plant.site.timezone)
    out: list[Period] = []
    cursor = start_ns
    for window in windows:
        if window.start > cursor:
            out.append(_gap(cursor, window.start, zone))
        out.append(_shift(window))
        cursor = window.end
    if cursor < end_ns:
        out.append(_gap(cursor, end_ns, zone))
    return out


def clipped(periods: Sequence[Period], start_ns: int, end_ns: int) -> list[Period]:
    """The parts of ``periods`` inside [start_ns, end_ns), planned time clipped alike (a job
    order's span, say, which begins and ends inside shifts)."""
    out = []
    for period in periods:
        start, end = max(period.start, start_ns), min(period.end, end_ns)
        if start < end:
            planned = tuple((max(a, start), min(b, end)) for a, b in period.planned
                            if a < end and b > start)  # fmt: skip
            out.append(Period(period.key, start, end, planned))
    return out


def hour_periods(periods: Sequence[Period], timezone: str) -> list[Period]:
    """The periods cut at local hour boundaries; each keeps its shift in the key."""
    zone = ZoneInfo(timezone)
    out = []
    for period in periods:
        for start, end in _hours(period.start, period.end, zone):
            planned = tuple(
                (max(a, start), min(b, end)) for a, b in period.planned if a < end and b > start
            )
            hour = _hour_label(start, zone)
            out.append(Period(("hour", hour, period.key[1], period.key[2]), start, end, planned))
    return out


def _hour_label(start: int, zone: ZoneInfo) -> str:
    """The local hour with its UTC offset ("2026-10-25T02:00+02:00"): on the night clocks go
    back, the two 02:00 hours are two labels, so each real hour is one row."""
    local = dt.datetime.fromtimestamp(start // _NS, zone).replace(minute=0, second=0)
    return local.isoformat(timespec="minutes")


def _shift(window: ShiftWindow) -> Period:
    return Period(("shift", window.day.isoformat(), window.shift), window.start, window.end,
                  window.planned)  # fmt: skip


def _gap(start: int, end: int, zone: ZoneInfo) -> Period:
    day = dt.datetime.fromtimestamp(start / _NS, zone).date().isoformat()
    return Period(("shift", day, NO_SHIFT), start, end, ())


def _hours(start: int, end: int, zone: ZoneInfo) -> list[Interval]:
    """[start, end) cut at every local hour boundary (an hour apart in UTC, DST or not)."""
    local = dt.datetime.fromtimestamp(start // _NS, zone)
    boundary = int(local.replace(minute=0, second=0).timestamp()) * _NS
    cuts = [start]
    while (boundary := boundary + 3600 * _NS) < end:
        cuts.append(boundary)
    cuts.append(end)
    return list(itertools.pairwise(cuts))
