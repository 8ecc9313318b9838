"""The private servers the test suite, benchmarks and demo rely on behave like the real thing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest

from smkit.errors import SmkitError
from smkit.localservers import LocalInflux, LocalMosquitto, require_binary


def connect(server: LocalMosquitto, client_id: str) -> tuple[mqtt.Client, list[bytes]]:
    """A paho 2.x client with an MQTT 3.1.1 persistent session, collecting payloads.

    3.1.1 on purpose: Debian's mosquitto 2.0.11 restores 3.1.1 persistent sessions after a
    restart but not MQTT 5 sessions with an expiry interval (checked here; see
    eclipse-mosquitto/mosquitto#2610), which matters to the MQTT connector's no-loss guarantee.
    """
    received: list[bytes] = []
    subscribed = threading.Event()
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=False,
    )
    client.on_message = lambda _c, _u, message: received.append(message.payload)
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect("127.0.0.1", server.port)
    client.loop_start()
    client.subscribe("plant/+/count", qos=1)
    assert subscribed.wait(10)
    return client, received


def test_mosquitto_keeps_qos1_messages_for_a_persistent_session_across_a_restart(
    tmp_path: Path,
) -> None:
    server = LocalMosquitto(tmp_path / "broker")
    server.start()
    collector, _ = connect(server, "collector")
    collector.disconnect()
    collector.loop_stop()
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="press")
    publisher.connect("127.0.0.1", server.port)
    publisher.loop_start()
    for number in range(20):
        publisher.publish("plant/press-01/count", str(number), qos=1).wait_for_publish(10)
    publisher.disconnect()
    publisher.loop_stop()
    server.stop()  # the broker goes down with the messages queued for the absent collector
    server.start()
    collector, received = connect(server, "collector")
    for _ in range(100):
        if len(received) == 20:
            break
        time.sleep(0.1)
    collector.disconnect()
    collector.loop_stop()
    server.stop()
    assert received == [str(n).encode() for n in range(20)]


def test_influxd_keeps_data_across_a_restart_on_the_same_port(tmp_path: Path) -> None:
    server = LocalInflux(tmp_path / "influxd")
    server.start()
    port = server.port
    httpx.post(f"{server.url}/query", data={"q": 'CREATE DATABASE "d"'}).raise_for_status()
    httpx.post(f"{server.url}/write", params={"db": "d"}, content=b"m v=1 1").raise_for_status()
    server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/ping", timeout=1)
    server.start()
    assert server.port == port
    answer = httpx.get(f"{server.url}/query", params={"db": "d", "q": "SELECT v FROM m"}).json()
    assert answer["results"][0]["series"][0]["values"] == [["1970-01-01T00:00:00.000000001Z", 1]]
    server.stop()


def test_a_missing_server_binary_says_how_to_install_it() -> None:
    with pytest.raises(SmkitError, match="apt-get install no-such-package"):
        require_binary("no-such-server-binary", "no-such-package")
