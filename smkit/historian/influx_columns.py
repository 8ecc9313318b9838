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
        rows = [[ts, None if grade == _BAD else value, grade] if with_quality else [ts, value],
                *rows]  # fmt: skip
    if not rows:
        return Column.empty()
    count = len(rows)
    times = np.fromiter(map(_TIME, rows), np.int64, count)
    values: list[Value] = list(map(_VALUE, rows))
    if with_quality:
        grades = np.fromiter((0 if q is None else q for q in map(_QUALITY, rows)), np.int8, count)
        if (grades == _BAD).any():
            bad = (grades == _BAD).tolist()
            values = [None if no else value for value, no in zip(values, bad, strict=True)]
    else:
        grades = np.zeros(count, dtype=np.int8)
    if kind == "float" and not set(map(type, values)) <= {float, type(None)}:
        values = [None if value is None else float(value) for value in values]
    return Column(times, values, grades)


_TIME, _VALUE, _QUALITY = itemgetter(0), itemgetter(1), itemgetter(2)
