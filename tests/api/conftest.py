"""A real HTTP server (uvicorn on a free loopback port) over a simulated day of the moulding
shop in SQLite, and an API key of every role."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.core.sample import Sample
from smkit.historian import open_historian
from smkit.localservers import LocalInflux, free_port
from smkit.plant import load_plant
from smkit.plant.model import Plant
from smkit.simulators.truth import ShiftTruth, ground_truth
from tests.simulated_plant import stored_simulation


@dataclass
class LiveApi:
    """A running API: its URL, a key per role, a revoked key, and what it serves."""

    url: str
    keys: dict[Role, str]
    revoked: str
    plant_path: Path
    truths: list[ShiftTruth]
    start_ns: int
    samples: list[Sample]

    def client(self, role: Role | None = None) -> httpx.Client:
        headers = {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


class ServerThread:
    """uvicorn serving an app from a thread of the test process, over real TCP."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve_day(folder: Path, influx_url: str | None) -> Iterator[LiveApi]:
    """Serve a simulated day of the moulding shop from SQLite or, given its URL, a real influxd."""
    plant_path, samples, log = stored_simulation(folder, "injection-moulding", 2, 24,
                                                 oee={"small_stop_threshold": "2m"})  # fmt: skip
    influx_database = f"api_{folder.name.replace('-', '_')}"
    if influx_url is not None:
        document = yaml.safe_load(plant_path.read_text())
        document["historian"] = {"kind": "influx", "url": influx_url, "database": influx_database}
        plant_path.write_text(yaml.safe_dump(document, allow_unicode=True))
        asyncio.run(_store(load_plant(plant_path), samples))
    plant = load_plant(plant_path)
    store = KeyStore(plant.api.store)
    keys = {role: store.create(f"test {role.value}", role)[1] for role in Role}
    revoked_key, revoked = store.create("left the company", Role.ADMIN)
    store.revoke(revoked_key.id)
    with ServerThread(create_app(plant, plant_path)) as url:
        yield LiveApi(url, keys, revoked, plant_path, ground_truth(log), log.start, samples)


def add_finding_signals(plant_path: Path) -> None:
    """Give every machine of the plant.yaml the signals late quality findings are kept in."""
    document = yaml.safe_load(plant_path.read_text())
    findings = [{"name": "qa_scrap", "role": "late_scrap"},
                {"name": "qa_rework", "role": "late_rework"}]  # fmt: skip
    for area in document["site"]["areas"]:
        for line in area["lines"]:
            for machine in line["machines"]:
                machine["signals"] = [*machine.get("signals", []), *findings]
    plant_path.write_text(yaml.safe_dump(document, allow_unicode=True))


async def _store(plant: Plant, samples: list[Sample]) -> None:
    async with open_historian(plant) as historian:
        await historian.write_samples(samples)


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The API over a simulated day in SQLite."""
    yield from serve_day(tmp_path_factory.mktemp("api"), None)


@pytest.fixture(scope="session")
def live_api_influx(
    tmp_path_factory: pytest.TempPathFactory, influx_server: LocalInflux
) -> Iterator[LiveApi]:
    """The API over the same simulated day in a real influxd."""
    yield from serve_day(tmp_path_factory.mktemp("api-influx"), influx_server.url)
