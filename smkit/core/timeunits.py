"""Time as smkit keeps it: UTC, integer nanoseconds since the Unix epoch."""

from __future__ import annotations

import datetime as dt

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000
MINUTE_NS = 60 * NS_PER_S
HOUR_NS = 60 * MINUTE_NS
DAY_NS = 24 * HOUR_NS

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def utc_ns(moment: dt.datetime) -> int:
    """A datetime as integer nanoseconds since the epoch (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // dt.timedelta(microseconds=1) * NS_PER_US
