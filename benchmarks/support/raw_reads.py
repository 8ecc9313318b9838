"""The raw read limit: an OEE report's rows fetched with no smkit code at all.

SQLite: ``packed_layout.py``. InfluxDB: the
InfluxQL smkit asks (a statement per field for the window, one ``last()`` per field before
it), uncompressed (gzip costs influxd more than it saves on loopback), answered in each format
1.x offers and parsed by the fastest plain parser for it; the
rows end as the same Python lists.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import msgpack
import orjson


def statements(machine: str, fields: Sequence[str], window: tuple[int, int]) -> str:
    """The InfluxQL smkit sends to read one machine's window: a statement per field (the
    generated plant stores no quality fields), and one ``last()`` per field before it."""
    start, end = window
    where = f"(\"machine\" = '{machine}')"
    inside = [f'SELECT "{field}" FROM "machine_data" WHERE {where} '
              f"AND time >= {start} AND time < {end}" for field in fields]  # fmt: skip
    last = [f'SELECT last("{field}") FROM "machine_data" WHERE {where} AND time < {start} '
            'GROUP BY "machine"' for field in fields]  # fmt: skip
    return ";\n".join([*inside, *last])


def _json_rows(body: bytes, loads: Callable[[bytes], Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for line in body.splitlines():
        for result in loads(line).get("results", []):
            for series in result.get("series", []):
                rows += series["values"]
    return rows


def _csv_rows(body: bytes) -> list[list[Any]]:
    reader = csv.reader(io.StringIO(body.decode()))
    next(reader, None)
    return [row[3:] for row in reader]  # name, tags, time are the first columns


def _msgpack_rows(body: bytes) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for document in msgpack.Unpacker(io.BytesIO(body), raw=False, strict_map_key=False):
        for result in document.get("results", []):
            for series in result.get("series", []):
                rows += series["values"]
    return rows


FORMATS: dict[str, tuple[str, Callable[[bytes], list[list[Any]]]]] = {
    "JSON (json)": ("application/json", lambda body: _json_rows(body, json.loads)),
    "JSON (orjson)": ("application/json", lambda body: _json_rows(body, orjson.loads)),
    "CSV (csv)": ("application/csv", _csv_rows),
    "MessagePack (msgpack)": ("application/x-msgpack", _msgpack_rows),
}
"""Answer format (parser) -> its Accept header and the parser."""


class InfluxRaw:
    """The same InfluxQL over plain HTTP, one answer format at a time."""

    def __init__(self, url: str, database: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=600,
                                   headers={"Accept-Encoding": "identity"})  # fmt: skip
        self.database = database

    def read(
        self, fmt: str, machines: Sequence[str], window: tuple[int, int], fields: Sequence[str]
    ) -> tuple[float, int]:
        """Seconds to ask and parse every machine's rows in ``fmt``; how many rows."""
        accept, parse = FORMATS[fmt]
        count = 0
        began = time.perf_counter()
        for machine in machines:
            response = self.client.post("/query", headers={"Accept": accept}, data={
                "db": self.database, "q": statements(machine, fields, window), "epoch": "ns",
                "chunked": "true", "chunk_size": "10000"})  # fmt: skip
            response.raise_for_status()
            count += len(parse(response.content))
        return time.perf_counter() - began, count

    def close(self) -> None:
        self.client.close()
