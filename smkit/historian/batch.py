"""Samples held as columns, the form in which they travel from the outbox to the historian.

Rebuilding one Python object per sample after reading the outbox cost more than the database
insert itself on a 2-core machine. A :class:`SampleBatch` keeps six columns instead; it is still a
``Sequence[Sample]`` (indexing builds one sample on demand), and historians iterate :func:`rows`,
which for a batch zips the columns without allocating a tuple per sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import overload

from smkit.core.sample import Quality, Sample, Value

Row = tuple[str, str, int, Value, int, int | None]
"""A sample as a plain tuple; the quality is its integer code."""

_QUALITIES = tuple(Quality)


class SampleBatch(Sequence[Sample]):
    """Samples as columns: machine ids, signals, timestamps, values, quality codes, status codes."""

    __slots__ = ("machines", "qualities", "signals", "statuses", "timestamps", "values")

    def __init__(  # noqa: PLR0917 - one argument per column, in the order of a Sample
        self,
        machines: Sequence[str],
        signals: Sequence[str],
        timestamps: Sequence[int],
        values: Sequence[Value],
        qualities: bytes,
        statuses: Sequence[int | None],
    ) -> None:
        self.machines = machines
        self.signals = signals
        self.timestamps = timestamps
        self.values = values
        self.qualities = qualities
        self.statuses = statuses

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> SampleBatch:
        """Transpose samples into columns."""
        columns = list(zip(*samples, strict=True))
        if not columns:
            return cls((), (), (), (), b"", ())
        machines, signals, timestamps, values, qualities, statuses = columns
        return cls(machines, signals, timestamps, values, bytes(qualities), statuses)

    @classmethod
    def concat(cls, batches: Sequence[SampleBatch]) -> SampleBatch:
        """One batch holding the samples of several, in order."""
        if len(batches) == 1:
            return batches[0]
        joined = chain.from_iterable
        return cls(
            list(joined(b.machines for b in batches)),
            list(joined(b.signals for b in batches)),
            list(joined(b.timestamps for b in batches)),
            list(joined(b.values for b in batches)),
            b"".join(b.qualities for b in batches),
            list(joined(b.statuses for b in batches)),
        )

    def rows(self) -> Iterator[Row]:
        """The samples as plain tuples, without building a Sample each."""
        return zip(
            self.machines,
            self.signals,
            self.timestamps,
            self.values,
            self.qualities,
            self.statuses,
            strict=True,
        )

    def __len__(self) -> int:
        return len(self.timestamps)

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> SampleBatch: ...

    def __getitem__(self, index: int | slice) -> Sample | SampleBatch:
        if isinstance(index, slice):
            return SampleBatch(
                self.machines[index],
                self.signals[index],
                self.timestamps[index],
                self.values[index],
                self.qualities[index],
                self.statuses[index],
            )
        return Sample(
            self.machines[index],
            self.signals[index],
            self.timestamps[index],
            self.values[index],
            _QUALITIES[self.qualities[index]],
            self.statuses[index],
        )

    def __repr__(self) -> str:
        return f"SampleBatch({len(self)} samples)"


def rows(samples: Sequence[Sample]) -> Iterator[Row] | Iterator[Sample]:
    """Iterate samples as tuples that unpack to (machine, signal, ts, value, quality, status)."""
    return samples.rows() if isinstance(samples, SampleBatch) else iter(samples)


def as_sample(row: Row | Sample) -> Sample:
    """A row as a proper Sample (for the rare paths that need one)."""
    if isinstance(row, Sample):
        return row
    machine, signal, ts, value, quality, status = row
    return Sample(machine, signal, ts, value, _QUALITIES[quality], status)
