"""Which period a page shows: the shift (or gap between shifts) or the local day holding an
instant, with the instants of the periods before and after it for the page's arrows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from smkit.api.query import instant
from smkit.core.timeunits import DAY_NS
from smkit.oee.periods import shift_periods
from smkit.plant.model import Plant
from smkit.web.formats import local

By = Literal["shift", "day"]


@dataclass(frozen=True)
class Shown:
    """A period to show: [start_ns, end_ns), its name (``2026-12-06 A`` or the day)."""

    by: By
    start_ns: int
    end_ns: int
    name: str
    before: str
    after: str
    start_local: dt.datetime

    @property
    def start_iso(self) -> str:
        """Its start as a site-time ``at`` for links (the instant after ``before``)."""
        return self.start_local.isoformat(timespec="seconds")

    def clipped_end(self, now_ns: int) -> int:
        """Its end, or now while it is going on."""
        return max(min(self.end_ns, now_ns), self.start_ns + 1)


def shown_period(plant: Plant, machine: str, at: dt.datetime | None, by: By,
                 now_ns: int) -> Shown:  # fmt: skip
    """The period of ``machine``'s calendar holding ``at`` (default: now)."""
    at_ns = now_ns if at is None else instant(plant, at, "at")
    zone = ZoneInfo(plant.site.timezone)
    if by == "day":
        day = local(at_ns, zone).date()
        start = dt.datetime.combine(day, dt.time(), zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        start_ns, end_ns = (round(t.timestamp()) * 10**9 for t in (start, end))
        name = day.isoformat()
    else:
        periods = shift_periods(plant, machine, at_ns - DAY_NS, at_ns + DAY_NS)
        period = next(p for p in periods if p.start <= at_ns < p.end)
        start_ns, end_ns, name = period.start, period.end, " ".join(period.key[1:])
    return Shown(
        by,
        start_ns,
        end_ns,
        name,
        _iso(start_ns - 1, zone),
        _iso(end_ns, zone),
        local(start_ns, zone).replace(tzinfo=None),
    )


def _iso(ns: int, zone: ZoneInfo) -> str:
    return local(ns, zone).replace(tzinfo=None).isoformat(timespec="seconds")
