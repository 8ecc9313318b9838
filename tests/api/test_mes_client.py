"""examples/mes_client.py, run as an MES runs it, against a simulated shift: the shift's OEE it
reads back equals the simulator's truth with the changes worked in by hand, and equals
``smkit oee report``; a new server loses nothing; replaying every request changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.plant import load_plant
from smkit.simulators.truth import ShiftTruth, ground_truth
from tests.api.conftest import ServerThread, add_finding_signals
from tests.cli.test_cli import smkit
from tests.simulated_plant import stored_simulation

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
EXAMPLE = Path(__file__).parents[2] / "examples" / "mes_client.py"
SCRAP = 48


def local(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, ZONE).replace(tzinfo=None).isoformat()


def one_product_shift(truths: list[ShiftTruth]) -> ShiftTruth:
    """A shift of one product, with units enough to scrap some and stops to give reasons."""
    return next(t for t in truths if len(t.products) == 1 and t.good > 10 * SCRAP
                and t.breakdown_ns + t.small_stop_ns > 0 and t.planned_ns)  # fmt: skip


def run_client(url: str, key: str, arguments: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, str(EXAMPLE), "--url", url, *arguments],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "SMKIT_API_KEY": key})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_an_mes_shift_gives_the_oee_worked_out_by_hand(tmp_path: Path) -> None:
    plant_path, _, log = stored_simulation(tmp_path, "injection-moulding", 11, 16)
    add_finding_signals(plant_path)
    truth = one_product_shift(ground_truth(log))
    plant = load_plant(plant_path)
    key = KeyStore(plant.api.store).create("MES", Role.INTEGRATOR)[1]
    window = {"machine": truth.machine, "from": local(truth.start), "to": local(truth.end)}
    with ServerThread(create_app(plant)) as url:
        stops = httpx.get(f"{url}/api/v1/downtime", params=window, timeout=60,
                          headers={"X-API-Key": key}).json()  # fmt: skip
        closed = [s for s in stops if not s["open_end"] and s["kind"] != "setup"]
        stop = max(closed, key=lambda s: s["length_s"])
        split_at = dt.datetime.fromisoformat(stop["start"]) + dt.timedelta(
            seconds=stop["length_s"] / 2
        )
        arguments = ["--machine", truth.machine, "--order", "WO-2026-0042",
                     "--product", next(iter(truth.products)), "--quantity", "12000",
                     "--start", local(truth.start), "--stop", stop["start"],
                     "--stop-reason", "A-24", "--split-at", split_at.isoformat(),
                     "--split-reason", "A-31", "--finding-at",
                     local(truth.start + 3600 * 10**9), "--scrap", str(SCRAP),
                     "--shift-from", window["from"], "--shift-to", window["to"]]  # fmt: skip
        *steps, shift = run_client(url, key, arguments)
        audit = httpx.get(f"{url}/api/v1/audit", headers={"X-API-Key": key}, timeout=60).json()
    assert all(step["changed"] for step in steps)

    # by hand: the reasons relabel stopped time and the order keeps the product that ran, so
    # A and P are the truth's; the scrapped units leave good units and their ideal time
    good = truth.good - SCRAP
    want = {"availability": Fraction(truth.running_ns, truth.planned_ns),
            "performance": truth.ideal_total_ns / truth.running_ns,
            "quality": Fraction(good, truth.total),
            "oee": truth.valuable_ns * Fraction(good, truth.good) / truth.planned_ns}  # fmt: skip
    for name, value in want.items():
        assert shift["kpis"][name] == pytest.approx(float(value), abs=1e-9), name
    done = smkit("oee", "report", "--plant", str(plant_path), "--machine", truth.machine,
                 "--from", window["from"], "--to", window["to"], "--by", "window",
                 "--format", "json")  # fmt: skip
    (cli,) = json.loads(done.stdout)
    assert {name: shift["kpis"][name] for name in want} == {name: cli[name] for name in want}

    with ServerThread(create_app(load_plant(plant_path))) as url:  # a new server, same files
        *replayed, again = run_client(url, key, arguments)
        after = httpx.get(f"{url}/api/v1/audit", headers={"X-API-Key": key}, timeout=60).json()
        order = httpx.get(f"{url}/api/v1/orders/WO-2026-0042", headers={"X-API-Key": key},
                          timeout=60).json()  # fmt: skip
    assert not any(step["changed"] for step in replayed)
    assert after == audit and len(audit) == len(steps)
    assert again["kpis"] == shift["kpis"] and again["counts"] == shift["counts"]
    assert order["status"] == "started" and order["planned_quantity"] == 12000
