"""A simulated day of the moulding shop in a real influxd, with every record smkit writes for
it (OEE, downtime, state changes, period records) and two readiness assessments scored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from smkit.core.timeunits import HOUR_NS, NS_PER_MS
from smkit.historian import open_historian
from smkit.historian.influx_http import InfluxHttp
from smkit.localservers import LocalInflux
from smkit.oee.runner import run_once
from smkit.plant import load_plant
from smkit.plant.model import Plant
from smkit.readiness.assessment import open_assessment
from smkit.readiness.records import readiness_records
from smkit.readiness.scoring import score
from tests.simulated_plant import stored_simulation

EXAMPLES = Path(__file__).parents[2] / "examples" / "readiness"
HOURS = 24


@dataclass
class CollectedDay:
    plant: Plant
    url: str
    database: str
    start_ns: int
    end_ns: int

    @property
    def window_ms(self) -> tuple[int, int]:
        return self.start_ns // NS_PER_MS, self.end_ns // NS_PER_MS

    def ask(self, query: str) -> list[list[dict[str, Any]]]:
        """The series of each statement of ``query`` (InfluxQL), as influxd answers them."""

        async def run() -> list[list[dict[str, Any]]]:
            http = InfluxHttp(self.url, database=self.database)
            try:
                return await http.query([query])
            finally:
                await http.close()

        return asyncio.run(run())


@pytest.fixture(scope="session")
def collected_day(tmp_path_factory: pytest.TempPathFactory,
                  influx_server: LocalInflux) -> Iterator[CollectedDay]:  # fmt: skip
    folder = tmp_path_factory.mktemp("dashboards")
    plant_path, samples, log = stored_simulation(folder, "injection-moulding", 4, HOURS)
    database = f"dash_{uuid.uuid4().hex[:8]}"
    document = yaml.safe_load(plant_path.read_text())
    document["historian"] = {"kind": "influx", "url": influx_server.url, "database": database}
    plant_path.write_text(yaml.safe_dump(document, allow_unicode=True))
    plant = load_plant(plant_path)
    end = log.start + HOURS * HOUR_NS
    assessed = []
    for name in ("an-phat-plastics-2026.yaml", "saigon-precision-2026.yaml"):
        loaded, assessment = open_assessment(EXAMPLES / name)
        assessed += readiness_records(assessment, score(loaded.framework, assessment))

    async def store() -> None:
        async with open_historian(plant) as historian:
            await historian.write_samples(samples)
            await run_once(plant, historian, log.start, end, horizon_ns=end)
            await historian.write_records(assessed)

    asyncio.run(store())
    yield CollectedDay(plant, influx_server.url, database, log.start, end)
