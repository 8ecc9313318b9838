"""plant.yaml through the API, for engineers: replaced as sent (comments kept), checked as
`smkit validate` checks it, audited, and served at once, OEE included."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.plant import load_plant
from tests.api.conftest import ServerThread
from tests.simulated_plant import stored_simulation

SHIFT = {"from": "2026-11-23T06:00", "to": "2026-11-23T14:00", "machine": "press-02",
         "by": "window"}  # fmt: skip


@pytest.fixture
def engineer(tmp_path: Path) -> tuple[str, str, Path]:
    plant_path, _, _ = stored_simulation(tmp_path, "injection-moulding", 3, 9)
    plant = load_plant(plant_path)
    key = KeyStore(plant.api.store).create("engineer", Role.ENGINEER)[1]
    text = plant_path.read_text()
    assert "ideal_cycle_time_s: 9.6" in text
    return key, text, plant_path


def test_a_replaced_plant_yaml_is_saved_as_sent_and_served_at_once(
    engineer: tuple[str, str, Path],
) -> None:
    key, text, plant_path = engineer
    plant = load_plant(plant_path)
    changed_text = "# cycle times measured on 2026-11-30\n" + text.replace(
        "ideal_cycle_time_s: 9.6", "ideal_cycle_time_s: 8.0")  # fmt: skip
    with (
        ServerThread(create_app(plant, plant_path)) as url,
        httpx.Client(base_url=url, timeout=120, headers={"X-API-Key": key}) as client,
    ):
        assert client.get("/api/v1/plant/yaml").json()["yaml"] == text
        (before,) = client.get("/api/v1/oee", params=SHIFT).json()
        saved = client.put("/api/v1/plant/yaml", json={"yaml": changed_text})
        replayed = client.put("/api/v1/plant/yaml", json={"yaml": changed_text})
        (after,) = client.get("/api/v1/oee", params=SHIFT).json()
        products = client.get("/api/v1/plant").json()
        trail = client.get("/api/v1/audit", params={"target": "plant"}).json()
    assert saved.json() == {"changed": True, "restart_needed": []}
    assert replayed.json() == {"changed": False, "restart_needed": []}
    assert plant_path.read_text() == changed_text
    assert 'ideal_cycle_time_s": 8.0' in str(products).replace("'", '"')
    # every unit of press-02 is a cap-28mm: its performance scales with the ideal cycle time
    assert after["kpis"]["performance"] == pytest.approx(
        before["kpis"]["performance"] * 8.0 / 9.6, rel=1e-9)  # fmt: skip
    assert [(e["action"], e["before"], e["after"]) for e in trail] == [
        ("plant.replace", text, changed_text)]  # fmt: skip


def test_a_wrong_plant_yaml_is_a_422_per_problem_with_its_line(
    engineer: tuple[str, str, Path],
) -> None:
    key, text, plant_path = engineer
    broken = text.replace("ideal_cycle_time_s: 9.6", "ideal_cycle_time_s: fast", 1)
    broken = broken.replace("timezone:", "time_zone:", 1)
    assert broken.count("time_zone:") == 1
    with ServerThread(create_app(load_plant(plant_path), plant_path)) as url:
        answer = httpx.put(f"{url}/api/v1/plant/yaml", json={"yaml": broken}, timeout=120,
                           headers={"X-API-Key": key})  # fmt: skip
    assert answer.status_code == 422, answer.text
    problems = answer.json()["detail"]
    assert {tuple(p["loc"]) for p in problems} == {("body", "yaml")}
    line = 1 + text.split("ideal_cycle_time_s: 9.6")[0].count("\n")
    assert any(p["msg"].startswith(f"plant.yaml:{line}:") and "number" in p["msg"]
               for p in problems), problems  # fmt: skip
    assert any("time_zone" in p["msg"] for p in problems), problems
    assert plant_path.read_text() == text


def test_a_new_historian_waits_for_a_restart(engineer: tuple[str, str, Path]) -> None:
    key, text, plant_path = engineer
    moved = text.replace("path: historian.db", "path: elsewhere.db")
    assert moved != text
    with (
        ServerThread(create_app(load_plant(plant_path), plant_path)) as url,
        httpx.Client(base_url=url, timeout=120, headers={"X-API-Key": key}) as client,
    ):
        saved = client.put("/api/v1/plant/yaml", json={"yaml": moved})
        still = client.get("/api/v1/oee", params=SHIFT)
    assert saved.json() == {"changed": True, "restart_needed": ["historian"]}
    assert still.status_code == 200 and still.json()[0]["counts"]["total"] > 0
