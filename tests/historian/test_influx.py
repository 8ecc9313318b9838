"""InfluxDB specifics beyond the shared contract: authentication, lost databases, request shapes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from smkit.core import Quality, Sample
from smkit.errors import HistorianUnavailable
from smkit.historian import InfluxHistorian
from smkit.historian.influx_http import InfluxAuth, InfluxHttp
from smkit.localservers import LocalInflux
from tests.plant.test_loader import MINIMAL

T0 = 1_764_000_000 * 1_000_000_000


@pytest.fixture(scope="module")
def secured_influx(tmp_path_factory: pytest.TempPathFactory) -> LocalInflux:
    server = LocalInflux(tmp_path_factory.mktemp("secured"), admin=("smkit", "pa ss'word"))
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


async def test_username_and_password_authenticate(secured_influx: LocalInflux) -> None:
    auth = InfluxAuth(username="smkit", password="pa ss'word")
    historian = InfluxHistorian(InfluxHttp(secured_influx.url, "secured", auth=auth), {})
    await historian.write_samples([Sample("m1", "temp", T0, 21.5)])
    assert await historian.latest() == [Sample("m1", "temp", T0, 21.5)]
    health = await historian.health()
    assert health.ok and health.version and health.version.startswith("1.6")
    await historian.close()


async def test_a_wrong_password_keeps_data_waiting_and_says_why(
    secured_influx: LocalInflux,
) -> None:
    auth = InfluxAuth(username="smkit", password="wrong")
    historian = InfluxHistorian(InfluxHttp(secured_influx.url, "secured", auth=auth), {})
    with pytest.raises(HistorianUnavailable, match="authentication failed"):
        await historian.write_samples([Sample("m1", "temp", T0, 1.0)])
    health = await historian.health()
    assert not health.ok and "authentication failed" in health.detail
    await historian.close()


def test_the_plant_secret_reaches_the_server(secured_influx: LocalInflux, tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text(
        MINIMAL + f"historian: {{kind: influx, url: '{secured_influx.url}', database: secured,"
        " username: smkit, password_env: SMKIT_TEST_INFLUX_PASSWORD}\n"
    )
    command = [sys.executable, "-m", "smkit", "historian", "ping", "-p", str(plant)]
    ok = subprocess.run(
        command,
        env={**os.environ, "SMKIT_TEST_INFLUX_PASSWORD": "pa ss'word"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run(
        command,
        env={**os.environ, "SMKIT_TEST_INFLUX_PASSWORD": "nope"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 1 and "authentication failed" in wrong.stderr


async def test_a_database_dropped_under_us_is_created_again(influx_server: LocalInflux) -> None:
    historian = InfluxHistorian(InfluxHttp(influx_server.url, "dropped"), {})
    await historian.write_samples([Sample("m1", "temp", T0, 1.0)])
    httpx.post(
        f"{influx_server.url}/query", data={"q": 'DROP DATABASE "dropped"'}
    ).raise_for_status()
    await historian.write_samples([Sample("m1", "temp", T0 + 1, 2.0)])
    assert await historian.latest() == [Sample("m1", "temp", T0 + 1, 2.0)]
    await historian.close()


async def test_token_auth_request_shape_against_a_mock_transport_no_2x_server_here() -> None:
    """InfluxDB 2.x/3.x cannot run here; this pins the request they document for v1 writes."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/ping":
            return httpx.Response(204, headers={"X-Influxdb-Version": "v2.7.11"})
        return httpx.Response(204)

    http = InfluxHttp(
        "http://influx.example:8086",
        "plant",
        retention_policy="autogen",
        auth=InfluxAuth(token="t0k3n"),
        transport=httpx.MockTransport(answer),
    )
    historian = InfluxHistorian(http, {})
    await historian.write_samples([Sample("m1", "temp", T0, 21.5)])
    ping, write, arrivals = seen
    assert ping.url.path == "/ping"
    for each in (write, arrivals):
        assert each.method == "POST" and each.url.path == "/write"
        assert dict(each.url.params) == {"db": "plant", "precision": "ns", "rp": "autogen"}
        assert each.headers["Authorization"] == "Token t0k3n"
    assert write.content == b"machine_data,machine=m1 temp=21.5 1764000000000000000"
    assert arrivals.content.startswith(b"smkit_arrivals,machine=m1 version=")
    await historian.close()


async def test_json_after_a_406_to_messagepack_mock_transport_no_such_server_here() -> None:
    """1.x answers MessagePack (the contract tests run against it); a server that answers 406
    to it, as a v1-compatible server without MessagePack may, is asked for JSON from then on."""
    accepted: list[str | None] = []
    encodings: list[str | None] = []
    body = b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","x"],' \
           b'"values":[[1,2]]}]}]}\n'  # fmt: skip

    def answer(request: httpx.Request) -> httpx.Response:
        accepted.append(request.headers.get("Accept"))
        encodings.append(request.headers.get("Accept-Encoding"))
        if request.headers.get("Accept") == "application/x-msgpack":
            return httpx.Response(406)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    http = InfluxHttp("http://influx.example:8086", "plant", transport=httpx.MockTransport(answer))
    first = await http.query(["SELECT x FROM m"])
    second = await http.query(["SELECT x FROM m"])
    assert first == second == [[{"name": "m", "columns": ["time", "x"], "values": [[1, 2]]}]]
    assert accepted == ["application/x-msgpack", "*/*", "*/*"]
    assert encodings == ["identity"] * 3
    await http.close()


async def test_influxd_answers_messagepack_when_asked(influx_server: LocalInflux) -> None:
    seen: list[str] = []

    async def record(response: httpx.Response) -> None:
        seen.append(response.headers.get("Content-Type", ""))

    http = InfluxHttp(influx_server.url, "_internal")
    http._client.event_hooks["response"].append(record)
    assert await http.query(["SHOW MEASUREMENTS LIMIT 1"])
    assert seen == ["application/x-msgpack"]
    await http.close()


async def test_a_quality_field_written_after_a_read_is_seen_by_the_next_read(
    influx_server: LocalInflux,
) -> None:
    """Field types are kept for a few seconds between reads; this historian's own writes
    drop them, so a first uncertain sample of a signal is not read back as good."""
    historian = InfluxHistorian(InfluxHttp(influx_server.url, "quality_after_read"), {})
    await historian.write_samples([Sample("m1", "temp", T0, 21.5)])
    before = await historian.read_columns("m1", T0, T0 + 10, ["temp"])
    assert before["temp"].quality.tolist() == [0]
    await historian.write_samples([Sample("m1", "temp", T0 + 1, 22.0, Quality.UNCERTAIN)])
    after = await historian.read_columns("m1", T0, T0 + 10, ["temp"])
    assert after["temp"].quality.tolist() == [0, int(Quality.UNCERTAIN)]
    await historian.close()
