"""Samples of one signal as columns: what a reader of many samples wants instead of a Python
object per sample (a machine-day of OEE signals is tens of thousands of them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from smkit.core.sample import Sample, Value

Int64s = npt.NDArray[np.int64]
Int8s = npt.NDArray[np.int8]
Values = Sequence[Value] | npt.NDArray[Any]
"""A column's values: a list, or (read from packed storage, none missing) a numpy array of
numbers or booleans."""


class Column:
    """One signal's samples in time order: ``ts`` (UTC ns), ``values`` (None where bad) and
    ``quality`` (a :class:`Quality` code per sample).

    Values read from packed storage arrive as one numpy array; :meth:`numbers` hands it to
    whoever computes with arrays, and ``values`` gives the same as a list, made on first use.
    """

    __slots__ = ("_array", "_list", "quality", "ts")

    def __init__(self, ts: Int64s, values: Values, quality: Int8s) -> None:
        self.ts = ts
        self.quality = quality
        self._array = values if isinstance(values, np.ndarray) else None
        self._list: Sequence[Value] | None = None if isinstance(values, np.ndarray) else values

    @property
    def values(self) -> Sequence[Value]:
        """The values as Python objects (an array's numbers become ``int``, ``float``,
        ``bool``)."""
        if self._list is None:
            assert self._array is not None
            self._list = value_list(self._array)
        return self._list

    def numbers(self) -> npt.NDArray[Any] | None:
        """The values as the numpy array they were read as, or None when they were not."""
        return self._array

    def __len__(self) -> int:
        return len(self.ts)

    def last(self) -> Column:
        """A column of the newest sample alone (of none, when empty)."""
        values = self._array if self._array is not None else self.values
        return Column(self.ts[-1:], values[-1:], self.quality[-1:])

    def __repr__(self) -> str:
        return f"Column(ts={self.ts!r}, values={self.values!r}, quality={self.quality!r})"

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


def value_list(values: Values) -> list[Value]:
    """Values as a list of Python objects (an array's numbers become ``int``, ``float``,
    ``bool``)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


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
