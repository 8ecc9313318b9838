"""The raw read limit of smkit's SQLite layout, with no smkit code: a plain sqlite3 and numpy
reader of the packed hours (``smkit/historian/sqlite_packed.py`` describes the layout).

Per series it fetches the hours that overlap the window (and, when none of them reaches before
the window, the last hour before it), joins each column's bytes and makes one array of them
(``numpy.frombuffer``), text split at its NULs, then cuts the window out; it also asks the
rows table for the window, where late samples would wait (here it holds none). That is the
least work that gets the same samples into arrays; smkit's read does the same and merges.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path

import numpy as np

HOUR_NS = 3600 * 10**9
HOURS = "SELECT form, ts, value, quality FROM packed WHERE series = ? AND hour >= ? AND hour < ?"
LAST_HOUR = (
    "SELECT form, ts, value, quality FROM packed WHERE series = ? AND hour < ? "
    "ORDER BY hour DESC LIMIT 1"
)
ROWS = "SELECT ts, value, quality FROM samples WHERE series = ? AND ts >= ? AND ts < ?"
FORM, TS, VALUE, QUALITY = map(itemgetter, range(4))
NUMBERS = {"f8": np.float64, "i8": np.int64, "b1": np.bool_}


def packed_raw(
    path: Path, machines: Sequence[str], window: tuple[int, int], signals: Sequence[str]
) -> float:
    """Seconds to fetch every machine's signals of the window (and the last sample before it)
    into arrays from smkit's packed hours."""
    start, end = window
    first_hour = start - start % HOUR_NS
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    marks = ",".join("?" * len(signals))
    began = time.perf_counter()
    for machine in machines:
        found = db.execute(f"SELECT id FROM series WHERE machine = ? AND signal IN ({marks})",
                           (machine, *signals)).fetchall()  # fmt: skip
        for (series,) in found:
            hours = db.execute(HOURS, (series, first_hour, end)).fetchall()
            if not hours or np.frombuffer(hours[0][1], np.int64)[0] >= start:
                hours[:0] = db.execute(LAST_HOUR, (series, first_hour)).fetchall()
            ts = np.frombuffer(b"".join(map(TS, hours)), np.int64)
            values = _values(hours)
            quality = np.frombuffer(b"".join(map(QUALITY, hours)), np.int8)
            db.execute(ROWS, (series, start, end)).fetchall()
            first, stop = np.searchsorted(ts, [start, end]).tolist()
            first = max(first - 1, 0)
            ts, values, quality = ts[first:stop], values[first:stop], quality[first:stop]
    elapsed = time.perf_counter() - began
    db.close()
    return elapsed


def _values(hours: list[tuple[str, bytes, bytes, bytes]]) -> np.ndarray | list[str]:
    forms = set(map(FORM, hours))
    if forms == {"text"}:
        return b"\0".join(map(VALUE, hours)).decode().split("\0")
    (form,) = forms  # the generated plant has no missing values: one form per series
    return np.frombuffer(b"".join(map(VALUE, hours)), NUMBERS[form])
