"""InfluxQL answers (``epoch=ns``) turned straight into columns: a signal's value, quality and
status are fields of one row, so each signal is one pass over the rows, with no object per point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from smkit.core.columns import Column, joined
from smkit.core.sample import Quality, Value
from smkit.historian.escape import QUALITY_SUFFIX, STATUS_SUFFIX

FIELD_CAST: dict[str, Any] = {"float": float, "integer": int, "boolean": bool, "string": str}
"""InfluxDB field types to Python: JSON writes a float field's 21.0 as 21."""
_GOOD = int(Quality.GOOD)
_BAD = int(Quality.BAD)


def columns_from_rows(
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    types: Mapping[str, str],
    before: Mapping[str, tuple[int, Value, int]],
) -> dict[str, Column]:
    """Columns by signal from one series' ``names`` (``time`` first) and ``rows``, each led by
    its last sample before the window (``before``: signal -> (ts, value, quality))."""
    index = {name: number for number, name in enumerate(names)}
    signals = {n for n in names[1:] if not n.endswith((QUALITY_SUFFIX, STATUS_SUFFIX))}
    signals |= {n.removesuffix(QUALITY_SUFFIX) for n in names if n.endswith(QUALITY_SUFFIX)}
    out: dict[str, Column] = {}
    for signal in sorted(signals | set(before)):
        column = _one(signal, index, rows, types.get(signal))
        if signal in before:
            ts, value, grade = before[signal]
            led = Column.of([(ts, None if grade == _BAD else value, grade)])
            column = joined({signal: led}, {signal: column})[signal]
        if len(column):
            out[signal] = column
    return out


def _one(
    signal: str, index: Mapping[str, int], rows: Sequence[Sequence[Any]], kind: str | None
) -> Column:
    at_value, at_quality = index.get(signal), index.get(signal + QUALITY_SUFFIX)
    cast = FIELD_CAST.get(kind or "")
    ts: list[int] = []
    values: list[Value] = []
    quality: list[int] = []
    for row in rows:
        value = row[at_value] if at_value is not None else None
        grade = row[at_quality] if at_quality is not None else None
        if value is None and grade is None:
            continue  # this row is another signal's
        grade = _GOOD if grade is None else int(grade)
        ts.append(row[0])
        values.append(None if grade == _BAD or value is None else (cast(value) if cast else value))
        quality.append(grade)
    return Column(np.array(ts, dtype=np.int64), values, np.array(quality, dtype=np.int8))
