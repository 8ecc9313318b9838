"""Sealed hours of the SQLite historian, packed: one row per series and UTC hour.

A report of a month reads about 5,000 samples per machine-day. Kept as a row per sample, SQLite
and Python spend most of a report stepping through them; kept as an hour's times, values and
qualities in three arrays, a month of a series is a few hundred rows whose bytes become numpy
arrays without a copy per sample (``benchmarks/oee_report.py`` measures both).

Samples arrive in the ``samples`` table, a row each, as before. A pack pass moves the rows of
hours that ended before a cutoff into ``packed``, merged with what that hour already holds, one
series-day per transaction: a reader, inside one read transaction, sees every sample exactly
once, in a row or in a packed hour. Samples that arrive late for a packed hour wait in rows
until the next pass; until then a read merges them, a row winning over a packed sample at the
same time (it was written later, as ``INSERT OR REPLACE`` would have it).

How an hour's values are kept (``form``): ``f8``, ``i8`` and ``b1`` are numpy's float64, int64
and bool bytes; ``text`` is strings joined by NUL; ``json`` (any value missing, or text holding a
NUL) is a JSON list. Status codes, rare, are a JSON list, or NULL when an hour has none.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter
from typing import Any, TypeVar

import numpy as np

from smkit.core.columns import Int8s, Int64s, Values, value_list
from smkit.core.sample import Value
from smkit.core.sqlitefile import transaction
from smkit.core.timeunits import DAY_NS, HOUR_NS

PACKED_SCHEMA = """
CREATE TABLE IF NOT EXISTS packed (
    series  INTEGER NOT NULL REFERENCES series (id),
    hour    INTEGER NOT NULL,
    form    TEXT NOT NULL CHECK (form IN ('f8', 'i8', 'b1', 'text', 'json')),
    ts      BLOB NOT NULL,
    value   BLOB NOT NULL,
    quality BLOB NOT NULL,
    status  BLOB,
    PRIMARY KEY (series, hour)
) WITHOUT ROWID;
"""
_HOURS = (
    "SELECT form, ts, value, quality, status FROM packed "
    "WHERE series = ? AND hour >= ? AND hour < ? ORDER BY hour"
)
_HOUR_BEFORE = (
    "SELECT form, ts, value, quality, status FROM packed "
    "WHERE series = ? AND hour < ? ORDER BY hour DESC LIMIT 1"
)
_ROWS = "SELECT ts, value, quality, status FROM samples WHERE series = ? AND ts >= ? AND ts < ?"
_ROW_BEFORE = (
    "SELECT ts, value, quality, status FROM samples WHERE series = ? AND ts < ? "
    "ORDER BY ts DESC LIMIT 1"
)
_PUT_HOUR = "INSERT OR REPLACE INTO packed VALUES (?, ?, ?, ?, ?, ?, ?)"
_FORM, _TS, _VALUE, _QUALITY, _STATUS = map(itemgetter, range(5))
"""The columns of a packed hour as the queries above select them."""
_NUMBERS = {"f8": np.float64, "i8": np.int64, "b1": np.bool_}
END_OF_TIME = 2**63 - 1
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Part:
    """Samples of one series in time order; ``status`` None when none has a status code."""

    ts: Int64s
    values: Values
    quality: Int8s
    status: list[int | None] | None

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, index: Int64s | slice) -> Part:
        """The samples at ``index`` (positions, or a slice)."""
        values, status = self.values, self.status
        if isinstance(index, slice):
            taken = values[index]
            status = None if status is None else status[index]
        else:
            taken = values[index] if isinstance(values, np.ndarray) else _at(values, index)
            status = None if status is None else _at(status, index)
        return Part(self.ts[index], taken, self.quality[index], status)


def _at(items: Sequence[T], index: Int64s) -> list[T]:
    return [items[i] for i in index.tolist()]


def window(
    db: sqlite3.Connection, series: int, kind: str | None, span: tuple[int, int]
) -> Part | None:
    """A series' samples with ``start <= ts < end`` led by its last one before ``start``, from
    packed hours and rows together; None when it has none. Call inside a read transaction."""
    start, end = span
    first_hour = start - start % HOUR_NS
    hours = db.execute(_HOURS, (series, first_hour, end)).fetchall()
    if not hours or _first_ts(hours[0]) >= start:
        # the hour before leads, joined with the rest at once (``_cut`` keeps its last sample)
        hours[:0] = db.execute(_HOUR_BEFORE, (series, first_hour)).fetchall()
    packed = _joined(hours, kind)
    rows = db.execute(_ROW_BEFORE, (series, start)).fetchall()
    rows += db.execute(_ROWS, (series, start, end)).fetchall()
    merged = _merged(packed, _of_rows(rows, kind) if rows else None)
    return None if merged is None else _cut(merged, start, end)


def newest(db: sqlite3.Connection, series: int, kind: str | None) -> Part | None:
    """The newest packed sample of a series, or None."""
    found = db.execute(_HOUR_BEFORE, (series, END_OF_TIME)).fetchone()
    if found is None:
        return None
    part = _decoded(found, kind)
    return part.take(slice(len(part) - 1, None))


def pack_series(
    db: sqlite3.Connection, series: int, kind: str | None, cutoff: int, deadline: float
) -> tuple[int, bool]:
    """Move the series' rows older than ``cutoff`` (an hour boundary) into packed hours, a day
    at a time, until done or ``time.monotonic()`` passes ``deadline``. Returns (samples moved,
    done)."""
    moved = 0
    while True:
        (oldest,) = db.execute(
            "SELECT min(ts) FROM samples WHERE series = ? AND ts < ?", (series, cutoff)
        ).fetchone()
        if oldest is None:
            return moved, True
        if time.monotonic() > deadline:
            return moved, False
        upto = min(cutoff, oldest - oldest % DAY_NS + DAY_NS)
        with transaction(db):
            moved += _pack_span(db, series, kind, oldest, upto)


def _pack_span(db: sqlite3.Connection, series: int, kind: str | None, start: int, end: int) -> int:
    """Fold the rows of [start, end) (whole hours) into their packed hours; in a transaction."""
    rows = db.execute(_ROWS + " ORDER BY ts", (series, start, end)).fetchall()
    if not rows:  # another process packed them since this one looked
        return 0
    part = _of_rows(rows, kind)
    hours = part.ts - part.ts % HOUR_NS
    cuts = [0, *(np.flatnonzero(np.diff(hours)) + 1).tolist(), len(part)]
    for first, last in pairwise(cuts):
        hour = int(hours[first])
        fresh = part.take(slice(first, last))
        held = db.execute(_HOURS, (series, hour, hour + 1)).fetchone()
        if held is not None:
            fresh = _merged(_decoded(held, kind), fresh) or fresh
        db.execute(_PUT_HOUR, (series, hour, *_encoded(fresh, kind)))
    db.execute("DELETE FROM samples WHERE series = ? AND ts >= ? AND ts < ?", (series, start, end))
    return len(rows)


def _of_rows(rows: Sequence[tuple[Any, ...]], kind: str | None) -> Part:
    """(ts, value, quality, status) rows in time order as a part."""
    count = len(rows)
    ts = np.fromiter((row[0] for row in rows), np.int64, count)
    values: list[Value] = [row[1] for row in rows]
    if kind == "bool":
        values = [None if value is None else bool(value) for value in values]
    quality = np.fromiter((row[2] for row in rows), np.int8, count)
    status = [row[3] for row in rows]
    return Part(ts, values, quality, status if any(s is not None for s in status) else None)


def _encoded(part: Part, kind: str | None) -> tuple[str, bytes, bytes, bytes, bytes | None]:
    """(form, ts, value, quality, status) of a packed hour."""
    form, value = _encoded_values(value_list(part.values), kind)
    status = None if part.status is None else json.dumps(part.status).encode()
    return form, part.ts.tobytes(), value, part.quality.tobytes(), status


def _encoded_values(values: list[Value], kind: str | None) -> tuple[str, bytes]:
    types = set(map(type, values))
    if type(None) not in types:
        if kind == "bool":
            return "b1", np.array(values, np.bool_).tobytes()
        if types == {int}:
            return "i8", np.array(values, np.int64).tobytes()
        if types == {float}:
            return "f8", np.array(values, np.float64).tobytes()
        texts: list[str] = values  # type: ignore[assignment]
        if types == {str} and not any("\0" in text for text in texts):
            return "text", "\0".join(texts).encode()
    return "json", json.dumps(values, ensure_ascii=False).encode()


def _first_ts(hour: tuple[Any, ...]) -> int:
    """The time of a packed hour's first sample (a packed hour is never empty)."""
    return int(np.frombuffer(hour[1], np.int64, 1)[0])


def _decoded(row: tuple[Any, ...], kind: str | None) -> Part:
    return _joined([row], kind) or _of_rows([], kind)


def _joined(hours: list[tuple[Any, ...]], kind: str | None) -> Part | None:
    """Packed hours (in time order) as one part: each column's bytes joined, then one array.
    Hours of mixed forms (a missing value, a NUL in a text) are decoded one by one."""
    if not hours:
        return None
    forms = set(map(_FORM, hours))
    form = forms.pop() if len(forms) == 1 else None
    ts = np.frombuffer(b"".join(map(_TS, hours)), np.int64)
    quality = np.frombuffer(b"".join(map(_QUALITY, hours)), np.int8)
    values: Values
    if form in _NUMBERS:
        values = np.frombuffer(b"".join(map(_VALUE, hours)), _NUMBERS[form])
    elif form == "text":
        values = b"\0".join(map(_VALUE, hours)).decode().split("\0")
    else:
        values = [value for hour in hours for value in _hour_values(hour[0], hour[2], kind)]
    status = None
    if list(map(_STATUS, hours)).count(None) < len(hours):
        status = [code for hour in hours for code in _hour_status(hour)]
    return Part(ts, values, quality, status)


def _hour_values(form: str, blob: bytes, kind: str | None) -> list[Value]:
    if form in _NUMBERS:
        return np.frombuffer(blob, _NUMBERS[form]).tolist()  # type: ignore[no-any-return]
    if form == "text":
        return blob.decode().split("\0")  # type: ignore[return-value]
    values: list[Value] = json.loads(blob)
    if kind == "bool":
        values = [None if value is None else bool(value) for value in values]
    return values


def _hour_status(hour: tuple[Any, ...]) -> list[int | None]:
    if hour[4] is None:
        return [None] * (len(hour[1]) // 8)
    return json.loads(hour[4])  # type: ignore[no-any-return]


def _concatenated(parts: list[Part]) -> Part:
    ts = np.concatenate([part.ts for part in parts])
    quality = np.concatenate([part.quality for part in parts])
    arrays = [part.values for part in parts if isinstance(part.values, np.ndarray)]
    values: Values
    if len(arrays) == len(parts) and len({array.dtype for array in arrays}) == 1:
        values = np.concatenate(arrays)
    else:
        values = [value for part in parts for value in value_list(part.values)]
    status = None
    if any(part.status is not None for part in parts):
        status = [code for part in parts for code in (part.status or [None] * len(part))]
    return Part(ts, values, quality, status)


def _merged(packed: Part | None, rows: Part | None) -> Part | None:
    """Both in time order; on equal times the row wins."""
    if rows is None or not len(rows):
        return packed
    if packed is None or not len(packed):
        return rows
    both = _concatenated([packed, rows])
    order = np.argsort(both.ts, kind="stable")  # a packed sample before a row at the same time
    ts = both.ts[order]
    last_of_each = np.append(ts[1:] != ts[:-1], True)
    return both.take(order[last_of_each])


def _cut(part: Part, start: int, end: int) -> Part | None:
    """The samples in [start, end) led by the last one before start."""
    first, stop = np.searchsorted(part.ts, [start, end]).tolist()
    first = max(first - 1, 0)
    return part.take(slice(first, stop)) if stop > first else None


def pack_before(db: sqlite3.Connection, cutoff: int, deadline: float) -> tuple[int, bool]:
    """Pack every series' rows older than ``cutoff`` (an hour boundary), until done or
    ``time.monotonic()`` passes ``deadline``. Returns (samples moved, done)."""
    moved = 0
    for series, kind in db.execute("SELECT id, type FROM series ORDER BY id").fetchall():
        count, done = pack_series(db, series, kind, cutoff, deadline)
        moved += count
        if not done:
            return moved, False
    return moved, True
