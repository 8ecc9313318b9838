"""Writes over a simulated shift day: late findings and job orders change the OEE as the engine
says, the records are recomputed, a replay changes nothing, every change is audited, a command
that does not fit is a 409, and what was written survives a new server."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.historian import open_historian
from smkit.localservers import LocalInflux
from smkit.oee.runner import OEE_MEASUREMENT
from smkit.plant import load_plant
from tests.api.conftest import ServerThread, add_finding_signals
from tests.plant.test_loader import MINIMAL
from tests.simulated_plant import stored_simulation

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SHIFT_1 = {"from": "2026-11-23T06:00", "to": "2026-11-23T14:00", "machine": "press-01"}


@dataclass
class WritableApi:
    url: str
    keys: dict[str, str]
    plant_path: Path

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.keys[who]}, timeout=120)


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WritableApi]:
    folder = tmp_path_factory.mktemp("writes")
    plant_path, _, _ = stored_simulation(folder, "injection-moulding", 3, 16)
    add_finding_signals(plant_path)
    plant = load_plant(plant_path)
    store = KeyStore(plant.api.store)
    keys = {role.value: store.create(role.value, role)[1] for role in Role}
    keys["operator elsewhere"] = store.create("other line", Role.OPERATOR, ["packing"])[1]
    with ServerThread(create_app(plant)) as url:
        yield WritableApi(url, keys, plant_path)


def _shift_row(client: httpx.Client) -> dict[str, Any]:
    (row,) = client.get("/api/v1/oee", params=SHIFT_1).json()
    return row


def _stored_record(plant_path: Path) -> dict[str, Any]:
    """The OEE record of press-01's first shift, as the historian holds it."""
    plant = load_plant(plant_path)
    start = int(dt.datetime(2026, 11, 23, 6, tzinfo=ZONE).timestamp()) * 10**9

    async def read() -> dict[str, Any]:
        async with open_historian(plant) as historian:
            (record,) = await historian.read_records(OEE_MEASUREMENT, start, start + 1,
                                                     {"machine": "press-01"})  # fmt: skip
            return dict(record.fields)

    return asyncio.run(read())


def test_a_late_finding_moves_good_to_scrap_once_and_is_audited(writable: WritableApi) -> None:
    finding = {"machine": "press-01", "at": "2026-11-23T09:00", "scrap": 40}
    with writable.client("operator") as client:
        before = _shift_row(client)
        first = client.post("/api/v1/findings", json=finding)
        again = client.post("/api/v1/findings", json=finding)
        after = _shift_row(client)
        trail = client.get("/api/v1/audit", params={"target": "machine/press-01"}).json()
    assert first.status_code == 200, first.text
    assert first.json()["changed"] and first.json()["records_recomputed"] > 0
    assert not again.json()["changed"] and again.json()["records_recomputed"] == 0
    assert after["counts"]["good"] == before["counts"]["good"] - 40
    assert after["counts"]["rejects"] == before["counts"]["rejects"] + 40
    assert after["kpis"]["quality"] < before["kpis"]["quality"]
    (entry,) = [e for e in trail if e["action"] == "finding.record"]
    assert entry["before"] is None and entry["after"] == {"qa_scrap": 40}
    assert entry["who"].startswith("operator (")
    record = _stored_record(writable.plant_path)
    assert record["good"] == after["counts"]["good"]
    assert record["quality"] == pytest.approx(after["kpis"]["quality"], abs=1e-12)


def test_writes_need_the_right_and_the_line(writable: WritableApi) -> None:
    finding = {"machine": "press-01", "at": "2026-11-23T09:30", "rework": 3}
    for who, status in (("viewer", 403), ("consultant", 403), ("operator elsewhere", 403),
                        ("integrator", 200), ("admin", 200)):  # fmt: skip
        with writable.client(who) as client:
            assert client.post("/api/v1/findings", json=finding).status_code == status, who
    order = {"machine": "press-01", "product": "cap-38mm", "planned_quantity": 10}
    for who, status in (("operator", 403), ("engineer", 403), ("integrator", 200)):
        with writable.client(who) as client:
            assert client.put("/api/v1/orders/WO-R1", json=order).status_code == status, who
    assert httpx.post(f"{writable.url}/api/v1/findings", json=finding).status_code == 401


def test_a_job_order_prices_performance_by_its_product(writable: WritableApi) -> None:
    order = {"machine": "press-01", "product": "cap-38mm", "planned_quantity": 5000}
    with writable.client("integrator") as client:
        before = _shift_row(client)
        created = client.put("/api/v1/orders/WO-17", json=order)
        replayed = client.put("/api/v1/orders/WO-17", json=order)
        started = client.post("/api/v1/orders/WO-17/start", json={"at": "2026-11-23T10:00"})
        restarted = client.post("/api/v1/orders/WO-17/start", json={"at": "2026-11-23T10:00"})
        moved = client.post("/api/v1/orders/WO-17/start", json={"at": "2026-11-23T10:05"})
        after = _shift_row(client)
        held = client.post("/api/v1/orders/WO-17/hold", json={"at": "2026-11-23T12:00"})
        done = client.post("/api/v1/orders/WO-17/complete", json={"at": "2026-11-23T13:00"})
        again = client.post("/api/v1/orders/WO-17/complete", json={})
        reopened = client.post("/api/v1/orders/WO-17/start", json={})
        trail = client.get("/api/v1/audit", params={"target": "order/WO-17"}).json()
        listed = client.get("/api/v1/orders", params={"machine": "press-01"}).json()
    assert created.status_code == 200 and created.json()["changed"], created.text
    assert not replayed.json()["changed"]
    assert started.json()["status"] == "started" and started.json()["changed"]
    assert not restarted.json()["changed"]
    assert moved.status_code == 409 and "cannot start" in moved.json()["detail"]
    assert after["times_s"]["ideal_ns"] != before["times_s"]["ideal_ns"]
    assert after["kpis"]["performance"] != before["kpis"]["performance"]
    assert _stored_record(writable.plant_path)["performance"] == pytest.approx(
        after["kpis"]["performance"], abs=1e-12
    )
    assert (held.json()["status"], done.json()["status"]) == ("held", "completed")
    assert not again.json()["changed"]
    assert reopened.status_code == 409
    assert [e["action"] for e in trail] == ["order.define", "order.start", "order.hold",
                                           "order.complete"]  # fmt: skip
    assert trail[1]["before"]["status"] == "created" and trail[1]["after"]["status"] == "started"
    assert [o["id"] for o in listed if o["id"] == "WO-17"] == ["WO-17"]


def test_orders_survive_a_new_server(writable: WritableApi) -> None:
    order = {"machine": "press-02", "product": "cap-28mm", "planned_quantity": 100}
    with writable.client("integrator") as client:
        assert client.put("/api/v1/orders/WO-99", json=order).status_code == 200
    with ServerThread(create_app(load_plant(writable.plant_path))) as url:
        found = httpx.get(f"{url}/api/v1/orders/WO-99", timeout=60,
                          headers={"X-API-Key": writable.keys["viewer"]})  # fmt: skip
    assert found.status_code == 200 and found.json()["planned_quantity"] == 100


@pytest.mark.parametrize(("path", "body", "field", "says"), [
    ("/api/v1/orders/WO-X", {"machine": "press-09", "product": "p", "planned_quantity": 1},
     "machine", "no machine 'press-09'"),
    ("/api/v1/orders/WO-X", {"machine": "press-01", "product": "lid", "planned_quantity": 1},
     "product", "known: cap-28mm, cap-38mm"),
    ("/api/v1/orders/WO-X", {"machine": "press-01", "product": "cap-28mm",
                             "planned_quantity": 0}, "planned_quantity", "greater than 0"),
    ("/api/v1/orders/WO-X", {"machine": "press-01", "product": "cap-28mm",
                             "planned_quantity": 1, "colour": "red"}, "colour", "Extra inputs"),
    ("/api/v1/findings", {"machine": "press-01", "at": "2026-11-23T09:00"}, None, "above zero"),
    ("/api/v1/findings", {"machine": "press-01", "at": "soon", "scrap": 1}, "at", "datetime"),
])  # fmt: skip
def test_a_bad_body_is_a_422_naming_the_field(
    writable: WritableApi, path: str, body: dict[str, Any], field: str | None, says: str
) -> None:
    with writable.client("admin") as client:
        answer = client.put(path, json=body) if "orders" in path else client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert field is None or problem["loc"][-1] == field
    assert says in problem["msg"]


def test_malformed_json_is_a_422_not_a_crash(writable: WritableApi) -> None:
    with writable.client("admin") as client:
        answer = client.post("/api/v1/findings", content=b'{"machine": "press-01",',
                             headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "json_invalid"


def _long_stop(client: httpx.Client) -> dict[str, Any]:
    """The longest closed stop of press-01 in the first shift that is not a setup."""
    stops = client.get("/api/v1/downtime", params=SHIFT_1).json()
    closed = [s for s in stops if not s["open_end"] and s["kind"] != "setup"]
    return max(closed, key=lambda s: s["planned_s"])


def test_a_person_reclassifies_and_splits_a_stop_without_counting_time_twice(
    writable: WritableApi,
) -> None:
    with writable.client("operator") as client:
        stop = _long_stop(client)
        before = _shift_row(client)
        start = dt.datetime.fromisoformat(stop["start"])
        middle = start + dt.timedelta(seconds=stop["length_s"] / 2)
        first_code, second_code = [c for c in ("A-11", "A-24", "A-31") if c != stop["reason"]][:2]
        give = {"machine": "press-01", "at": stop["start"], "reason": first_code, "note": "seal"}
        first = client.post("/api/v1/stop-reasons", json=give)
        replay = client.post("/api/v1/stop-reasons", json=give)
        split = client.post("/api/v1/stop-reasons", json={**give, "at": middle.isoformat(),
                                                          "reason": second_code})  # fmt: skip
        after = _shift_row(client)
        pieces = [s for s in client.get("/api/v1/downtime", params=SHIFT_1).json()
                  if start <= dt.datetime.fromisoformat(s["start"]) < dt.datetime.fromisoformat(
                      stop["end"])]  # fmt: skip
        trail = client.get("/api/v1/audit", params={"target": "machine/press-01/stop"}).json()
    assert first.json()["changed"] and first.json()["records_recomputed"] > 0, first.text
    assert not replay.json()["changed"] and split.json()["changed"]
    got = [(p["reason"], p["reason_source"]) for p in pieces]
    assert got == [(first_code, "operator"), (second_code, "operator")]
    assert sum(p["length_s"] for p in pieces) == pytest.approx(stop["length_s"])
    assert sum(after["downtime_by_reason_s"].values()) == pytest.approx(
        sum(before["downtime_by_reason_s"].values())
    )
    gained = {code: after["downtime_by_reason_s"].get(code, 0)
              - before["downtime_by_reason_s"].get(code, 0)
              for code in (first_code, second_code)}  # fmt: skip
    assert sum(gained.values()) == pytest.approx(stop["planned_s"])
    assert after["times_s"]["running_ns"] == before["times_s"]["running_ns"]
    assert [e["after"]["reason"] for e in trail] == [first_code, second_code]
    assert trail[0]["after"]["note"] == "seal"
    record = _stored_record(writable.plant_path)
    assert record["breakdown_s"] == pytest.approx(after["times_s"]["breakdown_ns"])


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"machine": "press-01", "at": "2026-11-23T06:00", "reason": "ZZ-9"}, "reason",
     "no reason 'ZZ-9' in the catalog (known: A-11"),
    ({"machine": "press-01", "at": "2030-01-01T00:00", "reason": "A-11"}, "at", "the future"),
])  # fmt: skip
def test_a_reason_must_exist_and_the_machine_must_be_stopped(
    writable: WritableApi, body: dict[str, str], field: str, says: str | None
) -> None:
    with writable.client("operator") as client:
        answer = client.post("/api/v1/stop-reasons", json=body)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", field]
    assert says is None or says in problem["msg"]


def test_a_reason_while_the_machine_runs_is_refused(writable: WritableApi) -> None:
    with writable.client("operator") as client:
        stops = client.get("/api/v1/downtime", params=SHIFT_1).json()
        running_at = dt.datetime.fromisoformat(stops[0]["start"]) - dt.timedelta(seconds=1)
        answer = client.post("/api/v1/stop-reasons", json={
            "machine": "press-01", "at": running_at.isoformat(), "reason": "A-11"})  # fmt: skip
    assert answer.status_code == 422
    assert "is running then" in answer.json()["detail"][0]["msg"]


def test_a_write_the_historian_cannot_take_is_a_503_and_not_recorded(tmp_path: Path) -> None:
    server = LocalInflux(tmp_path / "influxd")
    server.start()
    plant_path = tmp_path / "plant.yaml"
    plant_path.write_text(MINIMAL + f"historian: {{kind: influx, url: '{server.url}', "
                          "database: away}\n")  # fmt: skip
    add_finding_signals(plant_path)
    plant = load_plant(plant_path)
    key = KeyStore(plant.api.store).create("QA", Role.OPERATOR)[1]
    headers = {"X-API-Key": key}
    finding = {"machine": "m1", "at": "2026-11-23T09:00", "scrap": 2}
    try:
        with ServerThread(create_app(plant)) as url:
            server.stop()
            refused = httpx.post(f"{url}/api/v1/findings", json=finding, headers=headers,
                                 timeout=60)  # fmt: skip
            trail = httpx.get(f"{url}/api/v1/audit", headers=headers, timeout=60).json()
    finally:
        server.stop()
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "historian cannot answer" in refused.json()["detail"]
    assert trail == []
