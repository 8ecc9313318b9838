"""A different SQLite layout, to see whether it moves the raw read limit: samples packed per series
and hour (times, values and quality of the hour as three arrays in one row), the way columnar
time-series stores keep them.

Only the rows a report reads are packed (the report's signals, all numbers here), from smkit's own
SQLite file. The raw read fetches the hours that overlap the window and the last hour before it,
turns each blob into an array with no copy (``numpy.frombuffer``) and cuts the window out.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HOUR_NS = 3600 * 10**9
SCHEMA = """
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, machine TEXT, signal TEXT, type TEXT);
CREATE TABLE IF NOT EXISTS packed (
    series  INTEGER NOT NULL,
    hour    INTEGER NOT NULL,
    ts      BLOB NOT NULL,
    value   BLOB NOT NULL,
    quality BLOB NOT NULL,
    PRIMARY KEY (series, hour)
) WITHOUT ROWID;
"""
SERIES_ROWS = "SELECT ts, value, quality FROM samples WHERE series = ?"
HOURS = "SELECT ts, value, quality FROM packed WHERE series = ? AND hour >= ? AND hour <= ?"
LAST_HOUR = (
    "SELECT ts, value, quality FROM packed WHERE series = ? AND hour < ? ORDER BY hour DESC LIMIT 1"
)


def pack(source: Path, target: Path, signals: Sequence[str]) -> int:
    """Pack the rows of ``signals`` of every machine; how many samples were packed."""
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    dst.executescript(SCHEMA)
    marks = ",".join("?" * len(signals))
    found = src.execute(
        f"SELECT * FROM series WHERE signal IN ({marks})", tuple(signals)
    ).fetchall()
    dst.executemany("INSERT INTO series VALUES (?, ?, ?, ?)", found)
    count = 0
    for series, _, _, kind in found:
        rows = src.execute(
            "SELECT ts, value, quality FROM samples WHERE series = ?", (series,)
        ).fetchall()
        ts = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        values = _values(rows, kind)
        quality = np.fromiter((r[2] for r in rows), np.int8, len(rows))
        hours = ts // HOUR_NS
        cuts = np.flatnonzero(np.diff(hours)) + 1
        for part in np.split(np.arange(len(ts)), cuts):
            dst.execute("INSERT INTO packed VALUES (?, ?, ?, ?, ?)", (
                series, int(hours[part[0]]), ts[part].tobytes(), _blob(values, part),
                quality[part].tobytes()))  # fmt: skip
        count += len(rows)
    dst.commit()
    dst.close()
    return count


def _values(rows: list[tuple[int, object, int]], kind: str) -> np.ndarray | list[str]:
    if kind == "str":
        return [str(r[1]) for r in rows]
    return np.fromiter((r[1] for r in rows), np.float64, len(rows))


def _blob(values: np.ndarray | list[str], part: np.ndarray) -> bytes:
    """A number column as its bytes; text as its values joined by NUL."""
    if isinstance(values, list):
        return "\0".join(values[i] for i in part).encode()
    return values[part].tobytes()


def _unblob(blob: bytes, kind: str) -> np.ndarray | list[str]:
    return blob.decode().split("\0") if kind == "str" else np.frombuffer(blob, np.float64)


def packed_raw(
    path: Path, machines: Sequence[str], window: tuple[int, int], signals: Sequence[str]
) -> float:
    """Seconds to fetch every machine's signals of the window (and the last sample before it)
    into arrays from the packed layout."""
    start, end = window
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    marks = ",".join("?" * len(signals))
    began = time.perf_counter()
    for machine in machines:
        found = db.execute(f"SELECT id, type FROM series WHERE machine = ? AND signal IN ({marks})",
                           (machine, *signals)).fetchall()  # fmt: skip
        for series, kind in found:
            blobs = db.execute(HOURS, (series, start // HOUR_NS, (end - 1) // HOUR_NS)).fetchall()
            ts = np.concatenate([np.frombuffer(b[0], np.int64) for b in blobs])
            values = [_unblob(b[1], kind) for b in blobs]
            quality = np.concatenate([np.frombuffer(b[2], np.int8) for b in blobs])
            inside = (ts >= start) & (ts < end)
            ts, quality = ts[inside], quality[inside]
            values = np.concatenate(values)[inside] if kind != "str" else values
            if not len(ts) or ts[0] > start:  # the last sample before the window
                before = db.execute(LAST_HOUR, (series, start // HOUR_NS)).fetchone()
                if before is not None:
                    ts = np.concatenate([np.frombuffer(before[0], np.int64)[-1:], ts])
    elapsed = time.perf_counter() - began
    db.close()
    return elapsed
