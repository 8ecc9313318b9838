"""Shared building blocks of the plant.yaml models: strict base model, identifiers, texts, units."""

from __future__ import annotations

import re
import zoneinfo
from difflib import get_close_matches
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_SIGNAL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*)+$|^\s*\d+(?:\.\d+)?\s*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_SIZE_UNITS = {
    None: 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30,
}  # fmt: skip

RESERVED_SIGNAL_NAMES = frozenset({"time", "site", "area", "line", "machine"})
"""Names the historian uses as tags or the time column; a signal may not take them."""


class ConfigModel(BaseModel):
    """Base of every plant.yaml model: unknown keys are errors, loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(
            "must be 1-64 characters: letters, digits, '_', '.', '-', starting with a letter "
            f"or digit; got {value!r}"
        )
    return value


def _check_signal_name(value: str) -> str:
    if not _SIGNAL_NAME.match(value):
        raise ValueError(
            f"must be 1-64 characters: letters, digits, '_', starting with a letter; got {value!r}"
        )
    if value.lower() in RESERVED_SIGNAL_NAMES:
        raise ValueError(
            f"{value!r} is reserved (not allowed: {', '.join(sorted(RESERVED_SIGNAL_NAMES))})"
        )
    return value


def parse_duration_s(value: object, *, zero: bool = False) -> float:
    """Parse ``500ms``, ``30s``, ``5m``, ``2h30m``, ``7d`` or a plain number of seconds
    (above zero, or at least zero with ``zero``, where 0 means "never" or "none")."""
    if isinstance(value, bool):
        raise ValueError(f"must be a duration such as 500ms, 30s, 5m, 2h, 7d; got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        if not _DURATION.match(str(value)):
            raise ValueError(f"must be a duration such as 500ms, 30s, 5m, 2h30m, 7d; got {value!r}")
        parts = _DURATION_PART.findall(str(value))
        seconds = sum(float(number) * _DURATION_UNITS[unit or None] for number, unit in parts)
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(f"must be {'>= 0' if zero else '> 0'}, got {value!r}")
    return seconds


def _duration_or_zero_s(value: object) -> float:
    return parse_duration_s(value, zero=True)


def parse_size_bytes(value: object) -> int:
    """Parse ``512MiB``, ``1GiB``, ``200MB`` or a plain number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"must be a size such as 512MiB, 1GiB, 200MB; got {value!r}")
    if isinstance(value, int | float):
        size = int(value)
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"must be a size such as 512MiB, 1GiB, 200MB; got {value!r}")
        size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])
    if size <= 0:
        raise ValueError(f"must be > 0, got {value!r}")
    return size


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zone(value: str) -> str:
    if value not in _known_zones():
        close = get_close_matches(value, sorted(_known_zones()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"must be an IANA time zone such as 'Asia/Ho_Chi_Minh', got {value!r}{hint}"
        )
    return value


Identifier = Annotated[str, AfterValidator(_check_identifier)]
ZoneName = Annotated[str, AfterValidator(_check_zone)]
"""An IANA time zone name, such as ``Asia/Ho_Chi_Minh``."""
SignalName = Annotated[str, AfterValidator(_check_signal_name)]
DurationS = Annotated[float, BeforeValidator(parse_duration_s)]
"""A length of time above zero."""
DurationOrZeroS = Annotated[float, BeforeValidator(_duration_or_zero_s)]
"""A length of time where 0 is meaningful ("never", "none")."""
SizeBytes = Annotated[int, BeforeValidator(parse_size_bytes)]


class LocalText(ConfigModel):
    """A user-facing text in Vietnamese and English; both are required."""

    vi: str
    en: str
