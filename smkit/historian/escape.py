"""The one place where names and values are made safe for InfluxQL and line protocol.

SQL never needs this module: every value reaches SQLite as a bound parameter. For InfluxDB,
every identifier and string literal that reaches a query passes through :func:`quote_ident` or
:func:`quote_string`, and every name that reaches line protocol through the ``lp_*`` functions.

Some names cannot be carried at all: InfluxDB 1.x line protocol has no escape for a backslash
before a separator or at the end of a tag, nor for a newline, so names with a backslash or a
control character are refused by :func:`check_name` (by both backends, to keep one contract).
"""

from __future__ import annotations

import math
import re

from smkit.errors import WriteRejected
from smkit.historian.protocol import Record

_UNSAFE_NAME = re.compile(r"[\\\x00-\x1f\x7f]")
QUALITY_SUFFIX = ".quality"
STATUS_SUFFIX = ".status"
_RESERVED_SUFFIXES = (QUALITY_SUFFIX, STATUS_SUFFIX)


def check_name(name: str, what: str) -> str:
    """Refuse a name that the historian cannot store faithfully; return it unchanged otherwise."""
    if not name or _UNSAFE_NAME.search(name):
        raise WriteRejected(
            f"{what} {name!r} is empty or contains a backslash or control character"
        )
    if what == "signal" and name.endswith(_RESERVED_SUFFIXES):
        raise WriteRejected(f"signal {name!r} ends with a reserved suffix {_RESERVED_SUFFIXES}")
    return name


def quote_ident(name: str) -> str:
    """An InfluxQL identifier (measurement, tag key, field key): double-quoted, escaped."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """An InfluxQL string literal (tag value in WHERE): single-quoted, escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def lp_measurement(name: str) -> str:
    """A measurement name in line protocol: commas and spaces escaped."""
    return name.replace(",", "\\,").replace(" ", "\\ ")


def lp_key(name: str) -> str:
    """A tag key, tag value or field key in line protocol: commas, equals signs, spaces escaped."""
    return name.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def lp_string(value: str) -> str:
    """A string field value in line protocol: double-quoted, backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_record(record: Record) -> None:
    """Refuse a record with a name the historian cannot store or a field it cannot keep."""
    check_name(record.measurement, "measurement")
    for key, tag in record.tags.items():
        check_name(key, "tag key")
        check_name(tag, "tag value")
    if not record.fields:
        raise WriteRejected(f"record of {record.measurement!r} at {record.ts} has no fields")
    for key, value in record.fields.items():
        check_name(key, "field key")
        if not isinstance(value, float | int | bool | str):
            raise WriteRejected(
                f"field {key!r} must be a number, boolean or text, got {type(value).__name__}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise WriteRejected(f"field {key!r} is not a finite number: {value!r}")
