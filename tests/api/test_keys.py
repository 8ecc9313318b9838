"""Keys through the API, for the admin: a created key works at once with its role and lines, a
name is one active key, a revoked key is refused from the next request; every change is
audited and the key itself is neither kept nor logged."""

from __future__ import annotations

import logging

import httpx
import pytest

from smkit.api.roles import Role
from tests.api.conftest import LiveApi

FINDING = {"machine": "press-01", "at": "2026-11-23T09:00", "scrap": 1}


def admin(live_api: LiveApi) -> httpx.Client:
    return httpx.Client(base_url=live_api.url, timeout=60,
                        headers={"X-API-Key": live_api.keys[Role.ADMIN]})  # fmt: skip


def test_a_created_key_works_with_its_role_and_lines_until_revoked(
    live_api: LiveApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with admin(live_api) as client:
        created = client.post(
            "/api/v1/keys",
            json={"name": "tablet by line 2", "role": "operator", "lines": ["presses"]},
        )
        assert created.status_code == 201, created.text
        key, key_id = created.json()["key"], created.json()["id"]
        again = client.post("/api/v1/keys", json={"name": "tablet by line 2", "role": "viewer"})
        listed = client.get("/api/v1/keys")
        with httpx.Client(base_url=live_api.url, timeout=60, headers={"X-API-Key": key}) as new:
            assert new.get("/api/v1/plant").status_code == 200
            assert new.post("/api/v1/orders/WO-K/start", json={}).status_code == 403
            assert new.get("/api/v1/keys").status_code == 403
            revoked = client.delete(f"/api/v1/keys/{key_id}")
            assert new.get("/api/v1/plant").status_code == 401
        revoked_again = client.delete(f"/api/v1/keys/{key_id}")
        trail = client.get("/api/v1/audit", params={"target": f"key/{key_id}"})
    assert again.status_code == 409 and key_id in again.json()["detail"]
    named = [k for k in listed.json() if k["name"] == "tablet by line 2"]
    assert [(k["id"], k["role"], k["lines"], k["revoked"]) for k in named] == [
        (key_id, "operator", ["presses"], None)]  # fmt: skip
    assert "smk_" not in listed.text
    assert revoked.json()["changed"] and revoked.json()["revoked"] is not None
    assert not revoked_again.json()["changed"]
    actions = [(e["action"], e["before"], e["after"]) for e in trail.json()]
    assert actions == [
        ("key.create", None, {"name": "tablet by line 2", "role": "operator",
                              "lines": ["presses"], "revoked": False}),
        ("key.revoke", {"name": "tablet by line 2", "role": "operator", "lines": ["presses"],
                        "revoked": False},
         {"name": "tablet by line 2", "role": "operator", "lines": ["presses"], "revoked": True}),
    ]  # fmt: skip
    secret = key.removeprefix(f"smk_{key_id}_")
    assert len(secret) >= 40 and key not in trail.text and secret not in caplog.text


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"name": "x", "role": "viewer", "lines": ["nowhere"]}, ["body", "lines", 0], "known: presses"),
    ({"name": "x", "role": "superuser"}, ["body", "role"], "'viewer'"),
    ({"name": " ", "role": "viewer"}, ["body", "name"], "pattern"),
    ({"role": "viewer"}, ["body", "name"], "required"),
])  # fmt: skip
def test_a_bad_key_request_is_a_422_naming_the_field(
    live_api: LiveApi, body: dict[str, object], field: list[str], says: str
) -> None:
    with admin(live_api) as client:
        answer = client.post("/api/v1/keys", json=body)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == field and says in problem["msg"], problem


def test_revoking_a_key_nobody_has_is_a_404(live_api: LiveApi) -> None:
    with admin(live_api) as client:
        answer = client.delete("/api/v1/keys/0000beef")
    assert answer.status_code == 404 and "0000beef" in answer.json()["detail"]
