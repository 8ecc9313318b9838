"""Live status over three hours of the moulding shop that end now: each machine's state, since
when and its raw value as the samples have them; this shift's counts and KPIs as the OEE route
computes them; one computation shared by many concurrent callers; the collector's health."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx
import pytest

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.collector import health_path
from smkit.connectors.common.health import SourceHealth
from smkit.core.sample import Sample
from smkit.plant import load_plant
from smkit.plant.model import Plant
from tests.api.conftest import ServerThread
from tests.simulated_plant import shifts_around, stored_simulation

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class RecentApi:
    url: str
    key: str
    plant: Plant
    samples: list[Sample]
    app: object


@pytest.fixture(scope="module")
def recent_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecentApi]:
    folder = tmp_path_factory.mktemp("status")
    now = dt.datetime.now(ZONE)
    start = (now - dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    plant_path, samples, _ = stored_simulation(folder, "injection-moulding", 5, 3,
                                               start=start.replace(tzinfo=None),
                                               calendar=shifts_around(now),
                                               api={"status_refresh": "5s"})  # fmt: skip
    plant = load_plant(plant_path)
    _, key = KeyStore(plant.api.store).create("board", Role.VIEWER)
    health = {
        "written_at_ns": time.time_ns(),
        "sources": [
            dataclasses.asdict(
                SourceHealth(
                    "shop-broker",
                    "mqtt://127.0.0.1:1883",
                    connected=False,
                    error="connection refused",
                )
            )
        ],
    }
    health_path(plant).write_text(json.dumps(health))
    app = create_app(plant)
    with ServerThread(app) as url:
        yield RecentApi(url, key, plant, samples, app)


def _expected_state(api: RecentApi, machine: str) -> tuple[str, object, dt.datetime]:
    """Category, raw value and since when, from the samples and plant.yaml's state map."""
    values = api.plant.state_maps["euromap-mode"].values  # type: ignore[union-attr]
    mode = sorted((s.ts, s.value) for s in api.samples
                  if s.machine_id == machine and s.signal == "mode")  # fmt: skip
    category = values[mode[-1][1]]
    begins = len(mode) - 1
    while begins > 0 and values[mode[begins - 1][1]] == category:
        begins -= 1
    since = dt.datetime.fromtimestamp(mode[begins][0] // 1000 / 1e6, ZONE)
    return category.value, mode[-1][1], since


def test_each_machine_state_is_the_last_run_of_its_samples(recent_api: RecentApi) -> None:
    headers = {"X-API-Key": recent_api.key}
    found = httpx.get(f"{recent_api.url}/api/v1/status", headers=headers, timeout=60).json()
    machines = {m["machine"]: m for m in found["machines"]}
    assert sorted(machines) == sorted(m.id for _, m in recent_api.plant.machines())
    for machine, status in machines.items():
        category, raw, since = _expected_state(recent_api, machine)
        assert status["state"]["category"] == category
        assert status["state"]["raw"] == raw
        assert dt.datetime.fromisoformat(status["state"]["since"]) == since
        newest = max(s.ts for s in recent_api.samples if s.machine_id == machine)
        computed = dt.datetime.fromisoformat(found["computed_at"]).timestamp()
        assert status["newest_sample_age_s"] == pytest.approx(computed - newest / 1e9, abs=1e-3)
        assert status["source"] == {
            "id": "shop-broker",
            "connected": False,
            "error": "connection refused",
            "collector_running": True,
        }


def test_this_shift_so_far_equals_the_oee_route_over_it(recent_api: RecentApi) -> None:
    headers = {"X-API-Key": recent_api.key}
    with httpx.Client(base_url=recent_api.url, headers=headers, timeout=60) as client:
        found = client.get("/api/v1/status").json()
        window = {"from": found["machines"][0]["period_start"], "to": found["computed_at"],
                  "by": "window"}  # fmt: skip
        rows = {r["entity"]: r for r in client.get("/api/v1/oee", params=window).json()}
    for status in found["machines"]:
        row = rows[status["machine"]]
        assert status["counts"] == {k: row["counts"][k] for k in status["counts"]}
        assert status["counts"]["total"] > 0
        for name, value in status["kpis"].items():
            assert value == pytest.approx(row["kpis"][name], abs=1e-4)


def test_concurrent_callers_share_one_computation(recent_api: RecentApi) -> None:
    shared = recent_api.app.state.served.status  # type: ignore[attr-defined]

    async def burst() -> list[dict[str, object]]:
        async with httpx.AsyncClient(base_url=recent_api.url, timeout=60,
                                     headers={"X-API-Key": recent_api.key}) as client:  # fmt: skip
            answers = await asyncio.gather(*(client.get("/api/v1/status") for _ in range(20)))
        return [a.json() for a in answers]

    time.sleep(recent_api.plant.api.status_refresh)  # what earlier tests computed is stale now
    before = shared.computations
    answers = asyncio.run(burst())
    assert shared.computations == before + 1  # one refresh for the twenty callers
    assert len({a["computed_at"] for a in answers}) <= 2  # the kept one, then the new one
    with httpx.Client(base_url=recent_api.url, headers={"X-API-Key": recent_api.key}) as client:
        deadline = time.monotonic() + 30
        while (newest := client.get("/api/v1/status").json())["computed_at"] == answers[0][
                "computed_at"] and time.monotonic() < deadline:  # fmt: skip
            time.sleep(0.1)
    assert newest["computed_at"] > answers[0]["computed_at"]  # the refresh landed
    assert shared.computations == before + 1
