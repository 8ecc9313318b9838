"""Identical reads share one computation; a write through the API is read at once; data the
collector writes is read within ``api.live_refresh``."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.core.sample import Sample
from smkit.core.timeunits import HOUR_NS, MINUTE_NS
from smkit.historian import open_historian
from smkit.oee.kept import KeptPeriods
from smkit.plant import load_plant
from tests.api.conftest import ServerThread
from tests.simulated_plant import stored_simulation

SHIFT_1 = {"from": "2026-11-23T06:00", "to": "2026-11-23T14:00", "machine": "press-01",
           "by": "window"}  # fmt: skip


class Counted:
    """Counts the computations of period results behind the API's answers."""

    def __init__(self, periods: KeptPeriods) -> None:
        self.periods = periods
        self.calls = 0

    async def results(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return await self.periods.results(*args, **kwargs)


def served(tmp_path: Path, live_refresh: str) -> tuple[Any, dict[str, str], Path, int]:
    plant_path, _, log = stored_simulation(tmp_path, "injection-moulding", 3, 10,
                                           api={"live_refresh": live_refresh})  # fmt: skip
    plant = load_plant(plant_path)
    store = KeyStore(plant.api.store)
    keys = {role.value: store.create(role.value, role)[1] for role in Role}
    return create_app(plant), keys, plant_path, log.start


def count_computations(app: Any) -> Counted:
    counted = Counted(app.state.served.periods)
    app.state.served.periods = counted
    return counted


def test_identical_reads_share_one_computation_and_a_write_is_read_at_once(
    tmp_path: Path,
) -> None:
    app, keys, _, _ = served(tmp_path, "1h")
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        client.headers["X-API-Key"] = keys["operator"]
        counted = count_computations(app)
        first = client.get("/api/v1/oee", params=SHIFT_1)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.get("/api/v1/oee", params=SHIFT_1),
                                    range(16)))  # fmt: skip
        assert [a.json() for a in answers] == [first.json()] * 16
        assert counted.calls == 1
        (stop, *_) = client.get("/api/v1/downtime", params=SHIFT_1).json()
        other = "A-31" if stop["reason"] != "A-31" else "A-11"
        given = client.post("/api/v1/stop-reasons", json={"machine": "press-01",
                            "at": stop["start"], "reason": other})  # fmt: skip
        assert given.json()["changed"], given.text
        after = client.get("/api/v1/oee", params=SHIFT_1).json()
    assert counted.calls == 2
    (before_row,), (after_row,) = first.json(), after
    assert after_row["downtime_by_reason_s"].get(other, 0) > before_row[
        "downtime_by_reason_s"].get(other, 0)  # fmt: skip


def test_what_the_collector_writes_is_read_within_the_refresh_time(tmp_path: Path) -> None:
    app, keys, plant_path, start = served(tmp_path, "0.3s")
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        client.headers["X-API-Key"] = keys["viewer"]
        (before,) = client.get("/api/v1/oee", params=SHIFT_1).json()
        at = start + 2 * HOUR_NS  # a late stop in a closed shift, as an outbox drains
        late = [Sample("press-01", "mode", at, "ALARM"), Sample("press-01", "alarm", at, "A-11"),
                Sample("press-01", "mode", at + 30 * MINUTE_NS, "AUTOMATIC")]  # fmt: skip

        async def write() -> None:
            async with open_historian(load_plant(plant_path)) as historian:
                await historian.write_samples(late)

        asyncio.run(write())
        written = time.monotonic()
        while True:
            (row,) = client.get("/api/v1/oee", params=SHIFT_1).json()
            if row != before or time.monotonic() - written > 10:
                break
            time.sleep(0.05)
    assert row["kpis"]["availability"] < before["kpis"]["availability"]
    assert row["downtime_by_reason_s"]["A-11"] > before["downtime_by_reason_s"].get("A-11", 0)
