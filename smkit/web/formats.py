"""Numbers, percentages, dates and durations as each reader writes them (Babel's locale data):
Vietnamese 1.234,5 and 06/12/2026, English 1,234.5 and 6 Dec 2026. Pure functions."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

from smkit.api.schemas.times import moment

Lang = Literal["vi", "en"]
_DATE = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_UNITS = {"vi": ("giờ", "phút", "giây"), "en": ("h", "min", "s")}
DASH = "\u2013"  # an en dash: no value


def number(value: float | None, lang: Lang, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals and the reader's separators; a dash for None."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(float(value), format=pattern, locale=lang)


def percent(ratio: float | None, lang: Lang, digits: int = 1) -> str:
    """A fraction of one in percent (0.853 → 85,3 % in vi); a dash for None."""
    if ratio is None:
        return DASH
    return f"{number(ratio * 100, lang, digits)} %"


def date(moment: dt.datetime, lang: Lang) -> str:
    return format_datetime(moment, _DATE[lang], locale=lang)


def clock(moment: dt.datetime, seconds: bool = False) -> str:
    """The time of day, 24-hour in both languages."""
    return moment.strftime("%H:%M:%S" if seconds else "%H:%M")


def date_time(moment: dt.datetime, lang: Lang) -> str:
    return f"{date(moment, lang)} {clock(moment)}"


def duration(seconds: float | None, lang: Lang) -> str:
    """A length of time in its two largest units: 1 h 05 min, 4 min 30 s, 12 s."""
    if seconds is None:
        return DASH
    hours_u, minutes_u, seconds_u = _UNITS[lang]
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{number(hours, lang)} {hours_u} {minutes:02d} {minutes_u}"
    if minutes:
        return f"{minutes} {minutes_u} {secs:02d} {seconds_u}"
    return f"{secs} {seconds_u}"


def local(epoch_ns: int, zone: ZoneInfo) -> dt.datetime:
    """A moment in the site's time zone, to the microsecond (never rounded up to the next)."""
    return moment(epoch_ns, zone)
