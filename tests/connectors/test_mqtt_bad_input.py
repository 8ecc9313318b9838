"""A broker the collector cannot use: wrong credentials, an untrusted certificate, nobody there.

Each gives a clear error in health and the log, the collector keeps retrying without crashing,
and it collects as soon as the cause is fixed. Real Mosquitto brokers throughout.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from smkit.collector import Collector
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalMosquitto, free_port
from smkit.plant import load_plant
from tests.connectors.certificates import make_server_certificates
from tests.connectors.test_mqtt_collect import collecting_plant

MS = 1_795_385_400_000


def plant_with(folder: Path, url: str, **source: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = collecting_plant(folder, url)
    plant = yaml.safe_load(path.read_text())
    plant["sources"][0].update(source)
    path.write_text(yaml.safe_dump(plant, allow_unicode=True))
    return path


def publish(broker: LocalMosquitto, values: list[float], **login: Any) -> None:
    """JSON values of press-01's melt_temp (one per millisecond from MS), at QoS 1."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if "user" in login:
        client.username_pw_set(login["user"], login["password"])
    if login.get("ca"):
        client.tls_set(ca_certs=str(login["ca"]))
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    topic = "im-shop/moulding/presses/press-01/melt_temp"
    sent = [
        client.publish(topic, json.dumps({"value": value, "ts": MS + n}), qos=1)
        for n, value in enumerate(values)
    ]
    for info in sent:
        info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


async def until(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout_s} s")


async def stored_temps(folder: Path) -> list[Any]:
    historian = SqliteHistorian(folder / "historian.db")
    try:
        samples = await historian.read_series(["press-01"], MS * 10**6, (MS + 10**6) * 10**6)
        return [s.value for s in samples]
    finally:
        await historian.close()


async def test_wrong_credentials_are_reported_retried_and_work_once_fixed(tmp_path: Path) -> None:
    broker = LocalMosquitto(tmp_path / "broker", users={"smkit": "right"})
    broker.start()
    try:
        path = plant_with(tmp_path, broker.url, username="smkit", password_env="SHOP_PASSWORD")
        collector = Collector(load_plant(path, environ={"SHOP_PASSWORD": "wrong"}))
        stop = asyncio.Event()
        run = asyncio.create_task(collector.run(stop))
        health = collector.connectors[0].health
        await until(lambda: health.error is not None)
        assert health.error == (
            f"the MQTT broker at {broker.url} refused us: Not authorized "
            "(user 'smkit', password from $SHOP_PASSWORD)"
        )
        assert not health.connected and not run.done()
        broker.set_users({"smkit": "wrong"})  # the broker's administrator fixes the account
        await until(lambda: health.connected)
        publish(broker, [231.5], user="smkit", password="wrong")
        await until(lambda: health.samples == 1)
        stop.set()
        await run
    finally:
        broker.stop()
    assert await stored_temps(tmp_path) == [231.5]


# paho-mqtt 2.1 leaves the socket of a failed TLS handshake to the garbage collector, which
# closes it with a ResourceWarning; that warning is paho's, not a failure of this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_an_untrusted_broker_certificate_is_refused_clearly_and_a_given_ca_works(
    tmp_path: Path,
) -> None:
    files = make_server_certificates(tmp_path / "pki")
    broker = LocalMosquitto(tmp_path / "broker", tls=(files.certificate, files.key))
    broker.start()
    try:
        untrusting = Collector(load_plant(plant_with(tmp_path / "a", broker.url)))
        trusting = Collector(
            load_plant(plant_with(tmp_path / "b", broker.url, tls={"ca": str(files.ca)}))
        )
        stop = asyncio.Event()
        runs = [asyncio.create_task(c.run(stop)) for c in (untrusting, trusting)]
        refused, accepted = untrusting.connectors[0].health, trusting.connectors[0].health
        await until(lambda: refused.error is not None and accepted.connected)
        assert refused.error.startswith(f"TLS: the certificate of {broker.url} is not trusted (")
        assert "give tls.ca" in refused.error and not refused.connected
        publish(broker, [200.0 + n / 8 for n in range(2000)], ca=files.ca)
        await until(lambda: accepted.samples == 2000)
        await asyncio.sleep(1.0)
        assert refused.samples == 0 and not any(r.done() for r in runs)
        stop.set()
        await asyncio.gather(*runs)
    finally:
        broker.stop()
    assert await stored_temps(tmp_path / "b") == [200.0 + n / 8 for n in range(2000)]
    assert (
        not (tmp_path / "a" / "historian.db").exists() or await stored_temps(tmp_path / "a") == []
    )


def test_an_unreachable_broker_is_retried_until_it_is_there(tmp_path: Path) -> None:
    port = free_port()
    plant = plant_with(tmp_path, f"mqtt://127.0.0.1:{port}")
    collector = subprocess.Popen(
        [sys.executable, "-m", "smkit", "collect", "--plant", str(plant)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    health_file = tmp_path / "outbox.health.json"
    broker = LocalMosquitto(tmp_path / "broker", port=port)
    try:
        source = wait_for_health(health_file, lambda s: bool(s.get("error")))
        assert source["error"].startswith(
            f"cannot reach the MQTT broker at mqtt://127.0.0.1:{port}:"
        )
        assert "Connection refused" in source["error"]
        broker.start()
        wait_for_health(health_file, lambda s: bool(s["connected"]))
        publish(broker, [250.0])
        wait_for_health(health_file, lambda s: s["samples"] == 1)
    finally:
        collector.terminate()
        _, err = collector.communicate(timeout=30)
        broker.stop()
    log = err.decode()
    assert collector.returncode == 0, log
    assert "Traceback" not in log
    assert log.count("cannot reach the MQTT broker") == 1, "an outage is logged once"
    assert asyncio.run(stored_temps(tmp_path)) == [250.0]


def wait_for_health(path: Path, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The collector's health entry of the source once ``check`` holds (60 s at most)."""
    for _ in range(600):
        try:
            source = json.loads(path.read_text())["sources"][0]
            if check(source):
                return dict(source)
        except (FileNotFoundError, ValueError, KeyError, IndexError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"health never reached the condition; last: {path.read_text()}")
