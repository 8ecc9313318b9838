"""The InfluxDB historian: line protocol to ``/write``, InfluxQL from ``/query`` (1.x, 2.x, 3.x).

Schema: measurement ``machine_data``, tags ``site, area, line, machine``, one field per signal;
a sample that is not good adds ``<signal>.quality`` and maybe ``<signal>.status``. Records go to
their own measurement with their own tags. InfluxDB's JSON does not say whether ``21`` was a
float or an integer, so reads ask ``SHOW FIELD KEYS`` for each field's type; the answer is kept
for :data:`FIELD_TYPES_FRESH_S` (a report reads machine after machine) and dropped when this
historian writes, so its own new fields are seen at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from smkit.core.batch import rows
from smkit.core.columns import Column
from smkit.core.lifetime import AsyncClosing
from smkit.core.sample import QUALITIES, Quality, Sample, Value
from smkit.core.timeunits import HOUR_NS
from smkit.errors import HistorianError
from smkit.historian.escape import QUALITY_SUFFIX, STATUS_SUFFIX, quote_ident, quote_string
from smkit.historian.influx_columns import FIELD_CAST, merged_grade, signal_column
from smkit.historian.influx_http import DatabaseNotFound, InfluxHttp, Series
from smkit.historian.lineprotocol import SampleFormatter, record_line
from smkit.historian.protocol import (
    ARRIVALS_MEASUREMENT,
    PLACE_TAGS,
    SAMPLES_MEASUREMENT,
    FieldValue,
    Health,
    Record,
    sort_records,
    sort_samples,
)
from smkit.plant.model import MachinePlace

_SAMPLES = quote_ident(SAMPLES_MEASUREMENT)

SampleKey = tuple[str, str, int]

FIELD_TYPES_FRESH_S = 5.0
"""How long a measurement's field types are reused: fields written by another process are seen
within this time."""


class InfluxHistorian(AsyncClosing):
    """Historian backend on an InfluxDB server (see the module docstring)."""

    backend = "influx"

    def __init__(
        self,
        http: InfluxHttp,
        places: Mapping[str, MachinePlace],
        batch_lines: int = 5000,
        create_database: bool = True,
    ) -> None:
        self.http = http
        self.batch_lines = batch_lines
        self.create_database = create_database
        self._formatter = SampleFormatter(places)
        self._version: str | None = None
        self._types: dict[str, tuple[float, dict[str, str]]] = {}

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        """Write samples in requests of at most ``batch_lines`` lines.

        Each request is formatted while the previous one is on the wire, so Python's formatting
        and the server's parsing overlap.
        """
        if self._version is None:
            await self._prepare()
        in_flight: asyncio.Task[None] | None = None
        try:
            for first in range(0, len(samples), self.batch_lines):
                body = "\n".join(
                    self._formatter.lines(samples[first : first + self.batch_lines])
                ).encode()
                if in_flight is not None:
                    await in_flight
                in_flight = asyncio.create_task(self._post(body))
            if in_flight is not None:
                await in_flight
        finally:
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()
        await self._note_arrivals(samples)

    async def _note_arrivals(self, samples: Sequence[Sample]) -> None:
        """One arrivals point per machine and hour of ``samples``, stamped after the server
        acknowledged them (a failure here fails the write, which is then sent again)."""
        hours = {(row[0], row[2] - row[2] % HOUR_NS) for row in rows(samples)}
        stamp = {"version": time.time_ns()}
        lines = [record_line(Record(ARRIVALS_MEASUREMENT, {"machine": machine}, stamp, hour))
                 for machine, hour in hours]  # fmt: skip
        if lines:
            await self._post("\n".join(lines).encode())

    async def version(self) -> int:
        """The wall clock: arrivals are stamped with it after the server took the samples."""
        return time.time_ns()

    async def changes(
        self, machines: Sequence[str], start_ns: int, end_ns: int, since: int
    ) -> dict[str, int]:
        """The first arrivals point after ``since`` per machine (its time is the hour)."""
        if not machines:
            return {}
        first = start_ns - start_ns % HOUR_NS
        statement = (
            f'SELECT first("version") FROM {quote_ident(ARRIVALS_MEASUREMENT)} WHERE '
            f'time >= {int(first)} AND time < {int(end_ns)} AND "version" > {int(since)} AND '
            f'{_machine_filter(machines)} GROUP BY "machine"'
        )
        (series_list,) = await self.http.query([statement])
        return {series["tags"]["machine"]: int(series["values"][0][0]) for series in series_list}

    async def write_records(self, records: Sequence[Record]) -> None:
        """Write records; an existing record's fields are merged with the new ones."""
        if self._version is None:
            await self._prepare()
        lines = [record_line(record) for record in records]
        for first in range(0, len(lines), self.batch_lines):
            await self._post("\n".join(lines[first : first + self.batch_lines]).encode())

    async def read_series(
        self,
        machines: Sequence[str],
        start_ns: int,
        end_ns: int,
        signals: Sequence[str] | None = None,
    ) -> list[Sample]:
        """Samples in the window plus the last one before it, per series."""
        if not machines:
            return []
        types = await self._field_types(SAMPLES_MEASUREMENT)
        fields = _sample_fields(types, signals)
        if not fields:
            return []
        where = _machine_filter(machines)
        columns = ",".join(quote_ident(f) for f in fields)
        window = (
            f"SELECT {columns} FROM {_SAMPLES} WHERE {where} "
            f'AND time >= {int(start_ns)} AND time < {int(end_ns)} GROUP BY "machine"'
        )
        before = [_last_statement(f, f"{where} AND time < {int(start_ns)}") for f in fields]
        results = await self.http.query([window, *before])
        found = _samples_from_rows(results[0], types)
        found.update(_samples_from_last(fields, results[1:], types))
        return sort_samples(_build_samples(found))

    async def read_columns(
        self, machine: str, start_ns: int, end_ns: int, signals: Sequence[str]
    ) -> dict[str, Column]:
        """One machine's signals as columns: a statement per signal (its value and quality),
        and one ``last()`` per field for the sample before the window."""
        types = await self._field_types(SAMPLES_MEASUREMENT)
        wanted = [s for s in signals if s in types or s + QUALITY_SUFFIX in types]
        if not wanted:
            return {}
        where = _machine_filter([machine])
        inside = f"{where} AND time >= {int(start_ns)} AND time < {int(end_ns)}"
        graded = [s + QUALITY_SUFFIX in types for s in wanted]  # a quality field was ever stored
        asked = [[s, s + QUALITY_SUFFIX] if q else [s] for s, q in zip(wanted, graded, strict=True)]
        fields = _sample_fields(types, wanted)
        results = await self.http.query(
            [f"SELECT {','.join(quote_ident(f) for f in names)} FROM {_SAMPLES} WHERE {inside}"
             for names in asked]
            + [_last_statement(f, f"{where} AND time < {int(start_ns)}") for f in fields]
        )  # fmt: skip
        last = {
            signal: (ts, value, int(quality) if quality is not None else 0)
            for (_, signal, ts), (value, quality, _) in _samples_from_last(
                fields, results[len(wanted) :], types
            ).items()
        }
        out = {}
        for signal, with_quality, answer in zip(wanted, graded, results, strict=False):
            column = signal_column(answer, types.get(signal), with_quality, last.get(signal))
            if len(column):
                out[signal] = column
        return out

    async def latest(self, machines: Sequence[str] | None = None) -> list[Sample]:
        """The newest sample of every series."""
        if machines is not None and not machines:
            return []
        types = await self._field_types(SAMPLES_MEASUREMENT)
        fields = _sample_fields(types, None)
        if not fields:
            return []
        where = _machine_filter(machines) if machines is not None else "true"
        results = await self.http.query([_last_statement(f, where) for f in fields])
        return sort_samples(_build_samples(_samples_from_last(fields, results, types)))

    async def read_records(
        self,
        measurement: str,
        start_ns: int,
        end_ns: int,
        tags: Mapping[str, str] | None = None,
    ) -> list[Record]:
        """Records of a measurement in the window whose tags include ``tags``."""
        types = await self._field_types(measurement)
        conditions = [f"time >= {int(start_ns)}", f"time < {int(end_ns)}"]
        conditions += [
            f"{quote_ident(k)} = {quote_string(v)}" for k, v in sorted((tags or {}).items())
        ]
        statement = (
            f"SELECT * FROM {quote_ident(measurement)} WHERE {' AND '.join(conditions)} GROUP BY *"
        )
        (series_list,) = await self.http.query([statement])
        records = []
        for series in series_list:
            record_tags = {k: v for k, v in (series.get("tags") or {}).items() if v}
            columns = series["columns"]
            for row in series["values"]:
                fields = {
                    name: _convert(value, types.get(name))
                    for name, value in zip(columns[1:], row[1:], strict=True)
                    if value is not None
                }
                records.append(Record(measurement, record_tags, fields, row[0]))
        return sort_records(records)

    async def health(self) -> Health:
        """Ping the server, then prove that our credentials may read our database.

        ``/ping`` answers without authentication, so it alone would call a wrong password healthy.
        """
        try:
            version = await self.http.ping()
            await self.http.query(["SHOW MEASUREMENTS LIMIT 1"])
        except HistorianError as exc:
            return Health(ok=False, backend=self.backend, detail=str(exc))
        return Health(
            ok=True,
            backend=self.backend,
            version=version,
            detail=f"{self.http.url} db={self.http.database}",
        )

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self.http.close()

    async def _post(self, body: bytes) -> None:
        self._types.clear()
        try:
            await self.http.write(body)
        except DatabaseNotFound:
            if not self._can_create():
                raise
            await self._create_database()
            await self.http.write(body)

    async def _prepare(self) -> None:
        """Learn the server version once; create the database on 1.x when allowed."""
        self._version = await self.http.ping()
        if self._can_create():
            await self._create_database()

    def _can_create(self) -> bool:
        return self.create_database and (self._version or "").startswith("1.")

    async def _create_database(self) -> None:
        await self.http.query(
            [f"CREATE DATABASE {quote_ident(self.http.database)}"], database=False
        )

    async def _field_types(self, measurement: str) -> dict[str, str]:
        kept = self._types.get(measurement)
        if kept is not None and time.monotonic() - kept[0] < FIELD_TYPES_FRESH_S:
            return kept[1]
        asked = time.monotonic()
        (series_list,) = await self.http.query([f"SHOW FIELD KEYS FROM {quote_ident(measurement)}"])
        types = {name: kind for series in series_list for name, kind in series["values"]}
        self._types[measurement] = (asked, types)
        return types


def _machine_filter(machines: Iterable[str]) -> str:
    return "(" + " OR ".join(f'"machine" = {quote_string(m)}' for m in machines) + ")"


def _last_statement(field: str, where: str) -> str:
    return f'SELECT last({quote_ident(field)}) FROM {_SAMPLES} WHERE {where} GROUP BY "machine"'


def _sample_fields(types: Mapping[str, str], signals: Sequence[str] | None) -> list[str]:
    """The stored fields (value, quality, status) of the wanted signals, or of all."""
    if signals is None:
        return sorted(types)
    wanted = [f"{s}{suffix}" for s in signals for suffix in ("", QUALITY_SUFFIX, STATUS_SUFFIX)]
    return [field for field in wanted if field in types]


def _split_field(field: str) -> tuple[str, int]:
    """(signal, part) where part 0 is the value, 1 the quality, 2 the status."""
    if field.endswith(QUALITY_SUFFIX):
        return field.removesuffix(QUALITY_SUFFIX), 1
    if field.endswith(STATUS_SUFFIX):
        return field.removesuffix(STATUS_SUFFIX), 2
    return field, 0


def _convert(value: Any, kind: str | None) -> FieldValue:
    return FIELD_CAST[kind](value) if kind in FIELD_CAST else value  # type: ignore[no-any-return]


def _samples_from_rows(
    series_list: list[Series], types: Mapping[str, str]
) -> dict[SampleKey, list[Any]]:
    found: dict[SampleKey, list[Any]] = {}
    for series in series_list:
        machine = series["tags"]["machine"]
        columns = series["columns"]
        for row in series["values"]:
            ts = row[0]
            for field, value in zip(columns[1:], row[1:], strict=True):
                if value is None or field in PLACE_TAGS:
                    continue
                signal, part = _split_field(field)
                parts = found.setdefault((machine, signal, ts), [None, None, None])
                parts[part] = _convert(value, types.get(field))
    return found


def _samples_from_last(
    fields: list[str], results: list[list[Series]], types: Mapping[str, str]
) -> dict[SampleKey, list[Any]]:
    """Reconcile per-field ``last()`` answers into the last sample of each series.

    The last sample is at the latest time any of its fields was written; fields last written
    earlier belong to older samples and are ignored.
    """
    latest: dict[tuple[str, str], dict[int, tuple[int, Any]]] = {}
    for field, series_list in zip(fields, results, strict=True):
        signal, part = _split_field(field)
        for series in series_list:
            ts, value = series["values"][0]
            latest.setdefault((series["tags"]["machine"], signal), {})[part] = (
                ts,
                _convert(value, types.get(field)),
            )
    found: dict[SampleKey, list[Any]] = {}
    for (machine, signal), parts in latest.items():
        newest = max(ts for ts, _ in parts.values())
        values = [parts[p][1] if p in parts and parts[p][0] == newest else None for p in range(3)]
        found[(machine, signal, newest)] = values
    return found


def _build_samples(found: Mapping[SampleKey, list[Any]]) -> list[Sample]:
    samples = []
    for (machine, signal, ts), (value, quality, status) in found.items():
        grade = Quality.GOOD if quality is None else QUALITIES[merged_grade(value, int(quality))]
        kept: Value = None if grade == Quality.BAD else value
        samples.append(Sample(machine, signal, ts, kept, grade, status))
    return samples
