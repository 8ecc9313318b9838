"""A running smkit site (API and pages, uvicorn on a free port) over a simulated moulding shop
whose data runs up to now, with a key of every role, a running job order and an assessment."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import load_plant
from smkit.plant.calendar import Calendar
from smkit.simulators.catalog import find_scenario
from smkit.simulators.run import SimulationLog, simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.signals import signal_values
from smkit.web.site import create_site
from tests.api.conftest import ServerThread

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HOURS = 30
PLANNED_REASON = {"code": "P-01", "label": {"vi": "Họp đầu ca", "en": "Shift meeting"},
                  "category": "planned_down", "iso_element": "PDOT"}  # fmt: skip
ORDER = "WO-7001"
ZONE = "Asia/Ho_Chi_Minh"  # the moulding shop's


@dataclass
class Site:
    url: str
    keys: dict[Role, str]
    plant_path: Path
    log: SimulationLog

    def api(self, role: Role) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60,
                            headers={"Authorization": f"Bearer {self.keys[role]}"})  # fmt: skip


def simulated_until_now(folder: Path) -> tuple[Path, SimulationLog]:
    """The moulding shop simulated for the last 30 hours, its three shifts on every day and
    placed so that the one going on began four hours ago (whenever the test runs), with a
    planned-stop reason in its catalog, reasons asked for stops over a minute, live status
    every second."""
    now = dt.datetime.now(ZoneInfo(ZONE)).replace(second=0, microsecond=0, tzinfo=None)
    calendar = shifts_around(now)
    loaded = with_calendar(find_scenario("injection-moulding"), calendar)
    loaded.scenario = loaded.scenario.model_copy(
        update={"start": now - dt.timedelta(hours=HOURS)}
    )  # local
    log = simulate(loaded, 7, HOURS * 3600)
    samples = [Sample(v.machine, v.signal, v.ts, v.value)
               for v in signal_values(loaded.scenario, loaded.plant, log)]  # fmt: skip
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API may hold this thread's loop
        thread.submit(asyncio.run, _stored(folder / "historian.db", samples)).result()
    document = yaml.safe_load(loaded.path.with_name("plant.yaml").read_text())
    document["calendars"]["three-shift"] = calendar
    document["reasons"].append(PLANNED_REASON)
    document.update(historian={"kind": "sqlite", "path": "historian.db"},
                    outbox={"path": "outbox.db"},
                    oee={"small_stop_threshold": "2m", "reason_required_after": "1m"},
                    api={"live_refresh": "1s", "assessments": "assessments"})  # fmt: skip
    plant_path = folder / "plant.yaml"
    plant_path.write_text(yaml.safe_dump(document, allow_unicode=True))
    (folder / "assessments").mkdir()
    shutil.copy(EXAMPLES / "readiness" / "an-phat-plastics-2026.yaml",
                folder / "assessments" / "an-phat.yaml")  # fmt: skip
    return plant_path, log


def shifts_around(now: dt.datetime) -> dict[str, Any]:
    """Three eight-hour shifts a day, the one going on having begun 4 to 5 hours ago."""
    first = (now.hour - 4) % 24
    return {
        "shifts": [
            {
                "id": str(n + 1),
                "start": f"{(first + 8 * n) % 24:02d}:00",
                "end": f"{(first + 8 * n + 8) % 24:02d}:00",
            }
            for n in range(3)
        ]
    }


def with_calendar(loaded: LoadedScenario, calendar: dict[str, Any]) -> LoadedScenario:
    """The scenario with its plant's calendar replaced (the simulator follows it too)."""
    calendars = {"three-shift": Calendar.model_validate(calendar)}
    plant = loaded.plant.model_copy(update={"calendars": calendars})
    return LoadedScenario(loaded.scenario, plant, loaded.path)


async def _stored(path: Path, samples: list[Sample]) -> None:
    historian = SqliteHistorian(path)
    await historian.write_samples(samples)
    await historian.close()


def serve_site(folder: Path) -> Iterator[Site]:
    plant_path, log = simulated_until_now(folder)
    plant = load_plant(plant_path)
    store = KeyStore(plant.api.store)
    keys = {role: store.create(f"web {role.value}", role)[1] for role in Role}
    with ServerThread(create_site(plant, plant_path)) as url:
        site = Site(url, keys, plant_path, log)
        with site.api(Role.INTEGRATOR) as api:
            started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
            api.put(
                f"/api/v1/orders/{ORDER}",
                json={"machine": "press-02", "product": "cap-28mm", "planned_quantity": 200_000},
            ).raise_for_status()
            api.post(f"/api/v1/orders/{ORDER}/start",
                     json={"at": started.isoformat()}).raise_for_status()  # fmt: skip
        time.sleep(0.1)
        yield site
