"""Samples held as columns, the form in which they travel from a connector's read batch
through the outbox to the historian.

Rebuilding one Python object per sample after reading the outbox cost more than the database
insert itself on a 2-core machine. A :class:`SampleBatch` keeps six columns instead; it is still a
``Sequence[Sample]`` (indexing builds one sample on demand), and historians iterate :func:`rows`,
which for a batch zips the columns without allocating a tuple per sample. A connector fills a
:class:`BatchBuilder` as it reads, so a sample is never an object on the way in either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, repeat
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


class BatchBuilder:
    """Samples gathered into columns, one by one or a machine's values at once, handed over as
    a :class:`SampleBatch` without a Python object per sample (a connector's read batch)."""

    __slots__ = ("machines", "qualities", "signals", "statuses", "timestamps", "values")

    def __init__(self) -> None:
        self.machines: list[str] = []
        self.signals: list[str] = []
        self.timestamps: list[int] = []
        self.values: list[Value] = []
        self.qualities = bytearray()
        self.statuses: list[int | None] = []

    def add(  # noqa: PLR0917 - the fields of a Sample, in its order
        self,
        machine: str,
        signal: str,
        ts: int,
        value: Value,
        quality: Quality = Quality.GOOD,
        status: int | None = None,
    ) -> None:
        """One sample, given by its fields (building a Sample first would cost as much again)."""
        self.machines.append(machine)
        self.signals.append(signal)
        self.timestamps.append(ts)
        self.values.append(value)
        self.qualities.append(quality)
        self.statuses.append(status)

    def add_values(
        self,
        machine: str,
        signals: Sequence[str],
        timestamps: Sequence[int],
        values: Sequence[Value],
        qualities: bytes | bytearray,
    ) -> None:
        """Values of one machine, without status codes: column ``i`` of each is one sample."""
        count = len(timestamps)
        self.machines.extend(repeat(machine, count))
        self.signals.extend(signals)
        self.timestamps.extend(timestamps)
        self.values.extend(values)
        self.qualities += qualities
        self.statuses.extend(repeat(None, count))

    def __len__(self) -> int:
        return len(self.timestamps)

    def batch(self) -> SampleBatch:
        """What was gathered, as a batch (the builder is not to be used afterwards)."""
        return SampleBatch(self.machines, self.signals, self.timestamps, self.values,
                           bytes(self.qualities), self.statuses)  # fmt: skip


def rows(samples: Sequence[Sample]) -> Iterator[Row] | Iterator[Sample]:
    """Iterate samples as tuples that unpack to (machine, signal, ts, value, quality, status)."""
    return samples.rows() if isinstance(samples, SampleBatch) else iter(samples)


def as_sample(row: Row | Sample) -> Sample:
    """A row as a proper Sample (for the rare paths that need one)."""
    if isinstance(row, Sample):
        return row
    machine, signal, ts, value, quality, status = row
    return Sample(machine, signal, ts, value, _QUALITIES[quality], status)
