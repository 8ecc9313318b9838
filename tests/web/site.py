"""A running smkit site (API and pages, uvicorn on a free port) over a simulated moulding shop
whose data runs up to now, with a key of every role, a running job order and an assessment."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import yaml

from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.plant import load_plant
from smkit.simulators.run import SimulationLog
from smkit.web.site import create_site
from tests.api.conftest import ServerThread
from tests.simulated_plant import stored_until_now

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
    planned-stop reason in its catalog and reasons asked for stops over a minute."""
    plant_path, _, log = stored_until_now(
        folder, "injection-moulding", 7, HOURS, ZoneInfo(ZONE), api={"assessments": "assessments"},
        oee={"small_stop_threshold": "2m", "reason_required_after": "1m"},
    )  # fmt: skip
    document = yaml.safe_load(plant_path.read_text())
    document["reasons"].append(PLANNED_REASON)
    plant_path.write_text(yaml.safe_dump(document, allow_unicode=True))
    (folder / "assessments").mkdir()
    shutil.copy(EXAMPLES / "readiness" / "an-phat-plastics-2026.yaml",
                folder / "assessments" / "an-phat.yaml")  # fmt: skip
    return plant_path, log


def serve_site(folder: Path) -> Iterator[Site]:
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API may hold this thread's loop
        plant_path, log = thread.submit(simulated_until_now, folder).result()
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
