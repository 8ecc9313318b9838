"""A time cell of an export as UTC integer nanoseconds: ISO 8601, day-first, epoch or strptime.

Exports write local time without an offset more often than not; such times are read in the
source's time zone (the site's by default). Epoch numbers are read exactly (``Decimal``), so
``1767571200.123456789`` keeps every nanosecond.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from smkit.core.timeunits import utc_ns
from smkit.plant.files import AUTO_TIME

TimeParser = Callable[[str], int]
DAY_FIRST = (
    "%d/%m/%Y %H:%M:%S.%f", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S.%f", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
)  # fmt: skip
"""What ``auto`` tries after ISO 8601: how Excel writes a date and time in Vietnam."""
_EPOCH_NS = {"epoch_s": 10**9, "epoch_ms": 10**6, "epoch_us": 10**3, "epoch_ns": 1}


def time_parser(time_format: str, zone: ZoneInfo) -> TimeParser:
    """The parser of one source's time cells; each raises ``ValueError`` saying what it expected."""
    if time_format in _EPOCH_NS:
        return _epoch(_EPOCH_NS[time_format], time_format)

    def parse(text: str) -> int:
        moment = _auto(text) if time_format == AUTO_TIME else _strptime(text, time_format)
        return utc_ns(moment if moment.tzinfo else moment.replace(tzinfo=zone))

    return parse


def _auto(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    for layout in DAY_FIRST:
        try:
            return dt.datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
    raise ValueError(f"time {text!r} is neither ISO 8601 nor dd/mm/yyyy HH:MM[:SS]")


def _strptime(text: str, layout: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text.strip(), layout)
    except ValueError:
        raise ValueError(f"time {text!r} does not match time_format {layout!r}") from None


def _epoch(factor: int, name: str) -> TimeParser:
    def parse(text: str) -> int:
        try:
            return int(Decimal(text.strip()) * factor)
        except (InvalidOperation, ValueError):
            raise ValueError(f"time {text!r} is not a number ({name})") from None

    return parse
