"""InfluxQL answers (``epoch=ns``) turned straight into columns, with no object per point.

Each signal is asked for in a statement of its own (its value and, when it was ever stored, its
quality field), so its answer holds only its own rows, already in time order: the rows are
transposed in one step, not walked once per signal.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    rows = [row for one in series for row in one["values"]]
    if before is not None:
        ts, value, grade = before
        rows.insert(0, [ts, None if grade == _BAD else value, grade] if with_quality
                    else [ts, value])  # fmt: skip
    if not rows:
        return Column.empty()
    parts = list(zip(*rows, strict=True))
    values: list[Value] = list(parts[1])
    if with_quality:
        grades = np.array([0 if grade is None else grade for grade in parts[2]], dtype=np.int8)
        bad = (grades == _BAD).tolist()
        values = [None if no else value for value, no in zip(values, bad, strict=True)]
    else:
        grades = np.zeros(len(rows), dtype=np.int8)
    if kind == "float":
        values = [None if value is None else float(value) for value in values]
    return Column(np.array(parts[0], dtype=np.int64), values, grades)
