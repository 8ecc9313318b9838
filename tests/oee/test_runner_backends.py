"""The OEE runner gives the same elements whichever historian holds the data: a simulated day of
the moulding shop read from SQLite and from a real influxd, through each backend's columns."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from smkit.historian import Historian
from smkit.localservers import LocalInflux
from smkit.oee.elements import Elements
from smkit.oee.runner import period_results
from smkit.plant import load_plant
from tests.conftest import BACKENDS, new_historian
from tests.simulated_plant import stored_simulation


def test_a_simulated_day_gives_the_same_elements_from_sqlite_packed_or_not_and_influxdb(
    tmp_path: Path, influx_server: LocalInflux
) -> None:
    plant_file, samples, log = stored_simulation(
        tmp_path, "injection-moulding", 5, 24, start=dt.datetime(2026, 11, 2, 6),
        process_period_s=300,
    )  # fmt: skip
    plant = load_plant(plant_file)

    async def computed(backend: str) -> list[tuple[str, tuple[str, ...], Elements]]:
        historian: Historian = new_historian(backend, tmp_path, influx_server.url, plant.places())
        async with historian:
            await historian.write_samples(samples)
            found = await period_results(plant, historian, log.start, log.end,
                                         horizon_ns=log.end + 3600 * 10**9)  # fmt: skip
        return [(r.machine, r.key, r.elements) for r in found]

    results = {backend: asyncio.run(computed(backend)) for backend in BACKENDS}
    assert results["sqlite"] == results["influx"] == results["sqlite-packed"]
    assert sum(e.total for _, _, e in results["influx"]) > 1000
