"""The historian contract that the SQLite and InfluxDB backends both fulfil.

Identity rules (shared by both backends, so replays after a crash write nothing twice):

* a sample is identified by (machine, signal, ts): writing it again changes nothing;
* a record is identified by (measurement, tag set, ts): writing it again merges its fields,
  a field written again takes the new value.

Arrivals: every sample write also notes, per machine and UTC hour of the samples' times, a
*version* that grows with every write (a counter in SQLite, the wall clock after the server
acknowledged the write in InfluxDB). Whoever keeps results computed from samples reads
:meth:`Historian.version` before it reads the samples, and later asks :meth:`Historian.changes`
since that version: a write it did not see has a greater version, so nothing is missed (a write
it did see may be reported again, which costs a recomputation, never a wrong number).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from smkit.core.columns import Column
from smkit.core.sample import Sample

SAMPLES_MEASUREMENT = "machine_data"
ARRIVALS_MEASUREMENT = "smkit_arrivals"
"""Where the InfluxDB backend notes its arrivals (one point per machine and hour)."""
PLACE_TAGS = ("site", "area", "line", "machine")
"""The tags every sample is written with (and so the names a signal may not take)."""

FieldValue = float | int | bool | str


@dataclass(frozen=True, slots=True)
class Record:
    """A computed result (an OEE period, a downtime event, a readiness band) at one instant."""

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    ts: int


@dataclass(frozen=True, slots=True)
class Health:
    """What a historian says about itself: reachable or not, which server, why not."""

    ok: bool
    backend: str
    version: str | None = None
    detail: str = ""


class SampleWriter(Protocol):
    """What a forwarder needs of a historian: its sample writes."""

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        """Store samples; return only when they are durable. Raise a ``HistorianError`` subclass."""
        ...


class Historian(Protocol):
    """Time-series storage of samples and records. All times are UTC integer nanoseconds."""

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        """Store samples; return only when they are durable. Raise a ``HistorianError`` subclass."""
        ...

    async def read_series(
        self,
        machines: Sequence[str],
        start_ns: int,
        end_ns: int,
        signals: Sequence[str] | None = None,
    ) -> list[Sample]:
        """Samples with ``start_ns <= ts < end_ns``, and each series' last one before the window.

        Sorted by (machine, signal, ts). ``signals=None`` means every signal of those machines.
        """
        ...

    async def read_columns(
        self, machine: str, start_ns: int, end_ns: int, signals: Sequence[str]
    ) -> dict[str, Column]:
        """One machine's ``signals`` as columns: the samples with ``start_ns <= ts < end_ns``,
        each column led by its last sample before the window. Signals with no sample are absent.

        The read that feeds computations (OEE, evidence): no Python object per sample.
        """
        ...

    async def latest(self, machines: Sequence[str] | None = None) -> list[Sample]:
        """The newest sample of every series (of ``machines``, or of all), by (machine, signal)."""
        ...

    async def version(self) -> int:
        """The version of the newest sample write (see the module docstring)."""
        ...

    async def changes(
        self, machines: Sequence[str], start_ns: int, end_ns: int, since: int
    ) -> dict[str, int]:
        """Per machine with samples written after version ``since`` whose times fall in
        [start_ns, end_ns): the start of the earliest such UTC hour."""
        ...

    async def write_records(self, records: Sequence[Record]) -> None:
        """Store records idempotently; return only when they are durable."""
        ...

    async def read_records(
        self,
        measurement: str,
        start_ns: int,
        end_ns: int,
        tags: Mapping[str, str] | None = None,
    ) -> list[Record]:
        """Records of ``measurement`` with ``start_ns <= ts < end_ns`` whose tags include ``tags``.

        Sorted by (ts, tags).
        """
        ...

    async def health(self) -> Health:
        """Check the historian now; never raises."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...

    async def __aenter__(self) -> Self:
        """``async with historian:`` closes it on the way out."""
        ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


_SAMPLE_ORDER = operator.itemgetter(0, 1, 2)  # machine_id, signal, ts: C-speed on millions


def sort_samples(samples: list[Sample]) -> list[Sample]:
    """Sort by (machine, signal, ts): the order every read returns."""
    samples.sort(key=_SAMPLE_ORDER)
    return samples


def sort_records(records: list[Record]) -> list[Record]:
    """Sort by (ts, tags): the order every record read returns."""
    records.sort(key=lambda r: (r.ts, sorted(r.tags.items())))
    return records
