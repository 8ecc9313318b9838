"""Samples of one signal as columns: what a reader of many samples wants instead of a Python
object per sample (a machine-day of OEE signals is tens of thousands of them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smkit.core.sample import Sample, Value

Int64s = npt.NDArray[np.int64]
Int8s = npt.NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class Column:
    """One signal's samples in time order: ``ts`` (UTC ns), ``values`` (None where bad) and
    ``quality`` (a :class:`Quality` code per sample)."""

    ts: Int64s
    values: Sequence[Value]
    quality: Int8s

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def empty(cls) -> Column:
        """No samples."""
        return cls(np.zeros(0, np.int64), [], np.zeros(0, np.int8))

    @classmethod
    def of(cls, rows: Sequence[tuple[int, Value, int]]) -> Column:
        """From ``(ts, value, quality)`` rows already in time order."""
        count = len(rows)
        return cls(
            np.fromiter((row[0] for row in rows), np.int64, count),
            [row[1] for row in rows],
            np.fromiter((row[2] for row in rows), np.int8, count),
        )


Columns = Mapping[str, Column]
"""A machine's columns by signal name."""


def columns_of(samples: Iterable[Sample]) -> dict[str, Column]:
    """Samples of one machine (any order; on equal times the later in the input wins) as columns
    by signal."""
    rows: dict[str, dict[int, tuple[int, Value, int]]] = {}
    for sample in samples:
        rows.setdefault(sample.signal, {})[sample.ts] = (sample.ts, sample.value, sample.quality)
    return {signal: Column.of(sorted(by_ts.values(), key=lambda row: row[0]))
            for signal, by_ts in rows.items()}  # fmt: skip


def joined(first: Columns, second: Columns) -> dict[str, Column]:
    """The columns of two consecutive reads, the second starting where the first ended."""
    out = dict(first)
    for signal, later in second.items():
        earlier = out.get(signal)
        if earlier is None or not len(earlier):
            out[signal] = later
            continue
        keep = later.ts > earlier.ts[-1]
        out[signal] = Column(
            np.concatenate([earlier.ts, later.ts[keep]]),
            [*earlier.values, *(v for v, k in zip(later.values, keep.tolist(), strict=True) if k)],
            np.concatenate([earlier.quality, later.quality[keep]]),
        )
    return out
