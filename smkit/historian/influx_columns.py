"""InfluxQL answers (``epoch=ns``) turned straight into columns, with no object per point.

Each signal is asked for in a statement of its own (its value and, when it was ever stored, its
quality field), so its answer holds only its own rows, already in time order: the rows are
transposed in one step, not walked once per signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from smkit.core.columns import Column
from smkit.core.sample import Quality, Value

FIELD_CAST: dict[str, Any] = {"float": float, "integer": int, "boolean": bool, "string": str}
"""InfluxDB field types to Python: JSON writes a float field's 21.0 as 21."""
_BAD = int(Quality.BAD)


def signal_column(
    series: Sequence[dict[str, Any]],
    kind: str | None,
    with_quality: bool,
    before: tuple[int, Value, int] | None,
) -> Column:
    """One signal's column from its statement's answer (rows ``[time, value(, quality)]``),
    led by its last sample before the window (``before``: ts, value, quality)."""
    rows = series[0]["values"] if len(series) == 1 else [r for one in series for r in one["values"]]
    if before is not None:
        ts, value, grade = before
        rows = [[ts, value, grade] if with_quality else [ts, value], *rows]
    if not rows:
        return Column.empty()
    count = len(rows)
    times = np.fromiter(map(_TIME, rows), np.int64, count)
    values: list[Value] = list(map(_VALUE, rows))
    if with_quality:
        grades = np.fromiter((0 if q is None else q for q in map(_QUALITY, rows)), np.int8, count)
        if (grades == _BAD).any():  # a value and a bad mark at one instant: see merged_grade
            grades = np.fromiter(map(merged_grade, values, grades.tolist()), np.int8, count)
    else:
        grades = np.zeros(count, dtype=np.int8)
    if kind == "float" and not set(map(type, values)) <= {float, type(None)}:
        values = [None if value is None else float(value) for value in values]
    return Column(times, values, grades)


def merged_grade(value: Value, grade: int) -> int:
    """The quality of a signal's point read back. A bad sample has no value, so a point with a
    value and a bad quality is two writes at one instant that InfluxDB merged field by field: a
    bad mark (a Sparkplug birth without values yet, say) and the value that came for that same
    instant. The value is what the instant holds, as SQLite's replaced row would say: smkit never
    writes a mark onto the time of a value it stored (a death is marked after the last value)."""
    return 0 if grade == _BAD and value is not None else grade


_TIME, _VALUE, _QUALITY = itemgetter(0), itemgetter(1), itemgetter(2)
