"""Who may do what: every route against every role, no key, a wrong key and a revoked key; and
mistakes in a request answered with a 4xx that names the field."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from smkit.api.app import create_app
from smkit.api.roles import Right, Role, may
from smkit.plant import load_plant
from smkit.plant.serving import ApiSettings
from tests.api.conftest import LiveApi, ServerThread

PUBLIC = {("GET", "/api/v1/health")}
READS = {
    ("GET", "/api/v1/plant"),
    ("GET", "/api/v1/status"),
    ("GET", "/api/v1/oee"),
    ("GET", "/api/v1/downtime"),
    ("GET", "/api/v1/losses"),
    ("GET", "/api/v1/series"),
    ("GET", "/api/v1/orders"),
    ("GET", "/api/v1/orders/{order_id}"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/readiness/frameworks"),
    ("GET", "/api/v1/readiness/assessments"),
    ("GET", "/api/v1/readiness/assessments/{assessment_id}"),
    ("GET", "/api/v1/readiness/assessments/{assessment_id}/score"),
    ("GET", "/api/v1/readiness/assessments/{assessment_id}/report"),
    ("GET", "/api/v1/readiness/portfolio"),
}
WRITES = {
    ("POST", "/api/v1/findings"): Right.FINDINGS,
    ("POST", "/api/v1/stop-reasons"): Right.STOP_REASONS,
    ("PUT", "/api/v1/orders/{order_id}"): Right.ORDERS,
    ("POST", "/api/v1/orders/{order_id}/{what}"): Right.ORDERS,
    ("PUT", "/api/v1/readiness/assessments/{assessment_id}"): Right.ASSESSMENTS,
    ("POST", "/api/v1/keys"): Right.KEYS,
    ("DELETE", "/api/v1/keys/{key_id}"): Right.KEYS,
    ("PUT", "/api/v1/plant/yaml"): Right.PLANT,
}
GUARDED_READS = {("GET", "/api/v1/keys"): Right.KEYS, ("GET", "/api/v1/plant/yaml"): Right.PLANT}
"""Every route of the app is in one of these sets: a new route must say who may use it."""
QUERY = {
    "from": "2026-11-23T06:00",
    "to": "2026-11-23T07:00",
    "machine": "press-01",
    "signal": "mode",
}


def _routes(live_api: LiveApi) -> set[tuple[str, str]]:
    """Every operation of the app's OpenAPI schema."""
    paths = create_app(load_plant(live_api.plant_path)).openapi()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_every_route_is_in_the_role_matrix(live_api: LiveApi) -> None:
    assert _routes(live_api) == PUBLIC | READS | set(WRITES) | set(GUARDED_READS)


def test_the_schema_names_the_key_on_every_route_that_checks_one(live_api: LiveApi) -> None:
    schema = create_app(load_plant(live_api.plant_path)).openapi()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyHeader"] == {**schemes["APIKeyHeader"], "in": "header",
                                       "name": "X-API-Key"}  # fmt: skip
    secured = {(method.upper(), path) for path, operations in schema["paths"].items()
               for method, operation in operations.items()
               if operation.get("security")}  # fmt: skip
    assert secured == READS | set(WRITES) | set(GUARDED_READS)


@pytest.mark.parametrize("role", [*Role, None, "revoked", "forged"])
def test_each_role_gets_the_status_the_matrix_says(live_api: LiveApi, role: Role | str | None
                                                   ) -> None:  # fmt: skip
    """Reads: 200 for every role (the keys and plant.yaml: only with the right, else 403).
    Writes (with an empty body, so nothing is written): 403 for a role without the right, else
    past the door (422 for the body, 404 for no such order or key). Without a valid key: 401
    everywhere but
    the health route."""
    with httpx.Client(base_url=live_api.url, headers=_headers(live_api, role), timeout=60
                      ) as client:  # fmt: skip
        for method, path in sorted(PUBLIC | READS | set(WRITES) | set(GUARDED_READS)):
            concrete = _concrete(path)
            if method == "GET":
                answer = client.get(concrete, params=QUERY)
            else:
                answer = client.request(method, concrete, json={})
            if (method, path) in PUBLIC:
                want = 200
            elif not isinstance(role, Role):
                want = 401
            elif (method, path) in WRITES and may(role, WRITES[(method, path)]):
                assert answer.status_code in (404, 422), (method, path, role, answer.text)
                continue  # past the door: no such order, or the empty body refused
            elif (method, path) in WRITES:
                want = 403
            elif (method, path) in GUARDED_READS:
                want = 200 if may(role, GUARDED_READS[(method, path)]) else 403
            else:
                want = 404 if "{" in path else 200
            assert answer.status_code == want, (method, path, role, answer.text)
            if want == 401:
                assert answer.headers["WWW-Authenticate"] == "Bearer"
                assert "API key" in answer.json()["detail"]


def _headers(live_api: LiveApi, role: Role | str | None) -> dict[str, str]:
    if isinstance(role, Role):
        return {"X-API-Key": live_api.keys[role]}
    if role == "revoked":
        return {"Authorization": f"Bearer {live_api.revoked}"}
    if role == "forged":
        return {"Authorization": f"Bearer {live_api.keys[Role.ADMIN][:-4]}AAAA"}
    return {}


def _concrete(path: str) -> str:
    """A path with its parameters filled in (things that do not exist)."""
    return (path.replace("{order_id}", "WO-M").replace("{what}", "start")
            .replace("{assessment_id}", "nobody").replace("{key_id}", "0000dead"))  # fmt: skip


def test_anonymous_reads_only_when_plant_yaml_allows_them(live_api: LiveApi) -> None:
    plant = load_plant(live_api.plant_path)
    open_plant = plant.model_copy(update={"api": ApiSettings(store=plant.api.store,
                                                             anonymous_read=True)})  # fmt: skip
    with ServerThread(create_app(open_plant)) as url:
        assert httpx.get(f"{url}/api/v1/plant", timeout=60).status_code == 200
        finding = {"machine": "press-01", "at": "2026-11-23T09:00", "scrap": 1}
        assert httpx.post(f"{url}/api/v1/findings", json=finding, timeout=60).status_code == 401


@pytest.mark.parametrize(("params", "field", "says"), [
    ({"from": "yesterday"}, "from", "datetime"),
    ({"from": "2026-11-23T06:00", "to": "2026-11-23T05:00"}, "to", "after 'from'"),
    ({**QUERY, "machine": "press-99"}, "machine", "known: press-01"),
    ({**QUERY, "line": "nowhere"}, "line", "known:"),
    ({**QUERY, "level": "galaxy"}, "level", "'machine', 'line', 'area' or 'site'"),
    ({**QUERY, "by": "fortnight"}, "by", "'shift'"),
    ({**QUERY, "format": "xlsx"}, "format", "'json' or 'csv'"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "from", "at most 400 days"),
])  # fmt: skip
def test_a_bad_query_is_a_422_naming_the_field(
    live_api: LiveApi, params: dict[str, str], field: str, says: str
) -> None:
    with live_api.client(Role.VIEWER) as client:
        answer = client.get("/api/v1/oee", params=params)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["query", field]
    assert says in problem["msg"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(live_api: LiveApi) -> None:
    limit = load_plant(live_api.plant_path).api.max_body_bytes
    with live_api.client(Role.ADMIN) as client:
        answer = client.post("/api/v1/oee", content=b"x" * (limit + 1))
    assert answer.status_code == 413
    assert f"over {limit} bytes" in answer.json()["detail"]


def test_times_without_an_offset_are_site_time_and_with_one_are_kept(live_api: LiveApi) -> None:
    local = {"from": "2026-11-23T06:00", "to": "2026-11-23T14:00", "by": "window"}
    utc = {"from": "2026-11-22T23:00:00+00:00", "to": "2026-11-23T07:00:00Z", "by": "window"}
    with live_api.client(Role.VIEWER) as client:
        first, second = (client.get("/api/v1/oee", params=p).json() for p in (local, utc))
    assert first == second and first
    assert dt.datetime.fromisoformat(first[0]["start"]).utcoffset() == dt.timedelta(hours=7)


def test_cors_answers_only_the_origins_plant_yaml_lists(live_api: LiveApi) -> None:
    plant = load_plant(live_api.plant_path)
    listed = plant.model_copy(update={"api": ApiSettings(
        store=plant.api.store, cors_origins=["https://mes.example.vn"])})  # fmt: skip
    preflight = {"Access-Control-Request-Method": "GET"}
    with ServerThread(create_app(listed)) as url:
        origins = ("https://mes.example.vn", "https://evil.example")
        allowed, other = (httpx.options(f"{url}/api/v1/plant", timeout=60,
                                        headers={"Origin": origin, **preflight})
                          for origin in origins)  # fmt: skip
    assert allowed.headers["access-control-allow-origin"] == "https://mes.example.vn"
    assert "access-control-allow-origin" not in other.headers
    with httpx.Client(base_url=live_api.url, timeout=60) as client:  # no origins listed
        answer = client.get("/api/v1/health", headers={"Origin": "https://mes.example.vn"})
    assert "access-control-allow-origin" not in answer.headers
