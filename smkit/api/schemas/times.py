"""Instants at the API's edge: integer nanoseconds inside, ISO 8601 with the site's offset
outside."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from smkit.core.timeunits import NS_PER_US, utc_ns

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def moment(ns: int, zone: ZoneInfo) -> dt.datetime:
    """The instant ``ns`` in the site's time zone (to the microsecond)."""
    return (_EPOCH + dt.timedelta(microseconds=ns // NS_PER_US)).astimezone(zone)


def site_ns(value: dt.datetime, zone: ZoneInfo) -> int:
    """UTC nanoseconds of a date-time; one without an offset is in the site's time zone."""
    return utc_ns(value if value.tzinfo is not None else value.replace(tzinfo=zone))
