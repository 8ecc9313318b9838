"""smkit as a Sparkplug B primary host, against a real Mosquitto: its retained STATE says online
while it collects, offline after a planned stop and, through its will, after it is killed; an
offline for its id while it runs is answered online again."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from smkit.collector import Collector
from smkit.errors import ConfigError
from smkit.localservers import LocalMosquitto
from smkit.plant import load_plant
from tests.connectors.test_mqtt_collect import (
    collecting_plant,
    served_and_stored,
    simulate,
    start_collector,
)


class StateWatch:
    """A client that keeps every message on one host's STATE topic (retained ones included)."""

    def __init__(self, broker: str, host_id: str) -> None:
        self.topic = f"spBv1.0/STATE/{host_id}"
        self.states: list[dict[str, Any]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{host_id}")
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe(self.topic, qos=1)
        self.client.on_message = lambda c, u, m: (
            m.payload and self.states.append(json.loads(m.payload))
        )
        host, port = broker.removeprefix("mqtt://").rsplit(":", 1)
        self.client.connect(host, int(port))
        self.client.loop_start()

    async def until(self, online: bool, after: int = 0) -> dict[str, Any]:
        """The first state (from the ``after``-th on) with ``online``; fails after 15 s."""
        for _ in range(150):
            found = [s for s in self.states[after:] if s["online"] is online]
            if found:
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no STATE online={online} after {after}: {self.states}")

    def publish(self, payload: dict[str, Any]) -> None:
        sent = self.client.publish(self.topic, json.dumps(payload), qos=1, retain=True)
        sent.wait_for_publish(timeout=5)

    def close(self) -> None:
        sent = self.client.publish(self.topic, b"", qos=1, retain=True)  # retained no more
        sent.wait_for_publish(timeout=5)
        self.client.loop_stop()
        self.client.disconnect()


@contextmanager
def watching(broker: str, host_id: str) -> Iterator[StateWatch]:
    watch = StateWatch(broker, host_id)
    try:
        yield watch
    finally:
        watch.close()


def host_plant(folder: Path, broker: str, host_id: str) -> Path:
    subscription = {"topic": "spBv1.0/{site}/+/{line}/{machine}", "parser": "sparkplug_b",
                    "sparkplug": {"primary_host_id": host_id}}  # fmt: skip
    return collecting_plant(folder, broker, subscription=subscription)


async def test_state_is_online_while_collecting_answers_a_stale_offline_and_ends_offline(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    host_id = f"smkit-{uuid.uuid4().hex[:8]}"
    with watching(mosquitto_server.url, host_id) as watch:
        collector = Collector(load_plant(host_plant(tmp_path, mosquitto_server.url, host_id)))
        stop = asyncio.Event()
        run = asyncio.create_task(collector.run(stop))
        try:
            online = await watch.until(online=True)
            stale = {"online": False, "timestamp": online["timestamp"] - 60_000}
            seen = len(watch.states)
            watch.publish(stale)  # an older session's will, delivered late
            assert await watch.until(online=True, after=seen) == online  # said again
            seen = len(watch.states)
        finally:
            stop.set()
            await asyncio.wait_for(run, 30)
        assert await watch.until(online=False, after=seen) == {**online, "online": False}
        assert collector.connectors[0].health.dead == 0  # STATE messages are not data


async def test_a_killed_collectors_will_says_its_session_went_offline(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    host_id = f"smkit-{uuid.uuid4().hex[:8]}"
    plant_file = host_plant(tmp_path, mosquitto_server.url, host_id)
    with watching(mosquitto_server.url, host_id) as watch:
        collector = await start_collector(plant_file)
        first = await watch.until(online=True)
        seen = len(watch.states)
        collector.kill()  # SIGKILL: no goodbye, the broker publishes the will
        await collector.wait()
        assert await watch.until(online=False, after=seen) == {**first, "online": False}
        seen = len(watch.states)
        collector = await start_collector(plant_file)
        second = await watch.until(online=True, after=seen)
        collector.kill()
        await collector.wait()
    assert second["timestamp"] > first["timestamp"]  # each session its own stamp


async def test_edge_nodes_wait_for_smkit_and_what_they_keep_while_it_is_stopped_is_stored(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    """The simulated edge nodes publish QoS 0 and the collector keeps no session: without
    the primary host's STATE every value sent while it is stopped would be gone."""
    host_id = f"smkit-{uuid.uuid4().hex[:8]}"
    plant_file = host_plant(tmp_path, mosquitto_server.url, host_id)
    with watching(mosquitto_server.url, host_id) as watch:
        simulator = await simulate(mosquitto_server.url, tmp_path, "--qos", "0", "--speed",
                                   "300", "--duration", "1h", "--seed", "4", "--primary-host",
                                   host_id, fmt="sparkplug")  # fmt: skip
        await asyncio.sleep(2.5)  # smkit not online yet: the edge nodes keep what they see
        collector = await start_collector(plant_file)
        await watch.until(online=True)
        await asyncio.sleep(3.0)
        collector.send_signal(signal.SIGTERM)  # a planned stop: STATE offline, then goodbye
        await collector.wait()
        await asyncio.sleep(2.0)
        collector = await start_collector(plant_file)
        want, got = await served_and_stored(simulator, collector, tmp_path)
    assert want - got == set(), f"{len(want - got)} of {len(want)} values lost"
    assert len(want) > 2000


def test_one_connection_cannot_be_two_primary_hosts(tmp_path: Path) -> None:
    path = host_plant(tmp_path, "mqtt://127.0.0.1:1883", "host-a")
    document = yaml.safe_load(path.read_text())
    (first,) = document["sources"][0]["subscriptions"]
    second = {**first, "topic": "spBv1.0/other/+/{line}/{machine}",
              "sparkplug": {"primary_host_id": "host-b"}}  # fmt: skip
    document["sources"][0]["subscriptions"].append(second)
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    with pytest.raises(ConfigError, match="name primary_host_id 'host-a' and 'host-b'"):
        load_plant(path)
