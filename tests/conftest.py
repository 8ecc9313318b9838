"""Session-wide real servers: a private influxd and mosquitto on free loopback ports (one pair
per pytest-xdist worker: `make test` runs a worker per core).

There is no skipping: when a binary is missing the fixture fails with the command that installs
it (``make test`` installs both).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from smkit.core.sample import Sample
from smkit.historian import Historian, InfluxHistorian, SqliteHistorian
from smkit.historian.influx_http import InfluxHttp
from smkit.historian.sqlite_packed import END_OF_TIME
from smkit.localservers import LocalInflux, LocalMosquitto
from smkit.plant.model import MachinePlace
from tests.sparkplug_reference import compile_reference

BACKENDS = ["sqlite", "sqlite-packed", "influx"]


class PackingSqliteHistorian(SqliteHistorian):
    """The SQLite historian with every hour packed after every write, so the contract also
    runs on packed hours, and on rows merged into them by the next write's pass."""

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        await super().write_samples(samples)
        await self.pack(before_ns=END_OF_TIME)


@pytest.fixture(scope="session")
def influx_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInflux]:
    """One influxd for the whole session (tests use a database of their own)."""
    server = LocalInflux(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mosquitto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMosquitto]:
    """One mosquitto broker for the whole session."""
    server = LocalMosquitto(tmp_path_factory.mktemp("mosquitto"))
    server.start()
    yield server
    server.stop()


def new_historian(
    backend: str,
    tmp_path: Path,
    influx_url: str,
    places: dict[str, MachinePlace] | None = None,
) -> Historian:
    """A fresh, empty historian of the given backend."""
    if backend == "sqlite-packed":
        return PackingSqliteHistorian(tmp_path / f"historian-{uuid.uuid4().hex[:8]}.db")
    if backend == "sqlite":
        return SqliteHistorian(tmp_path / f"historian-{uuid.uuid4().hex[:8]}.db")
    http = InfluxHttp(influx_url, database=f"test_{uuid.uuid4().hex[:12]}")
    return InfluxHistorian(http, places or {}, batch_lines=1000)


@pytest.fixture(params=BACKENDS)
async def historian(
    request: pytest.FixtureRequest, tmp_path: Path, influx_server: LocalInflux
) -> AsyncIterator[Historian]:
    """Each contract test runs once per backend, against real storage."""
    store = new_historian(request.param, tmp_path, influx_server.url)
    yield store
    await store.close()


@pytest.fixture(scope="session")
def reference_payload(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The protobuf ``Payload`` class compiled from tests/sparkplug_b.proto: an independent
    Sparkplug B decoder to check smkit's own codec and the simulator against."""
    return compile_reference(tmp_path_factory.mktemp("proto")).Payload
