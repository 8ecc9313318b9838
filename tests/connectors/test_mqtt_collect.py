"""Collecting the simulated moulding shop over MQTT (JSON) from a real Mosquitto."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from smkit.collector import Collector, last_health
from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalAmqtt, LocalMosquitto
from smkit.plant import load_plant
from smkit.simulators.catalog import SCENARIOS
from tests.cli.test_cli import smkit

PRESSES = ["press-01", "press-02", "press-03", "press-04"]


JSON_PER_SIGNAL = {"topic": "{site}/{area}/{line}/{machine}/{signal}", "parser": "json",
                   "json": {"value": "value", "timestamp": "ts"}}  # fmt: skip


def collecting_plant(
    folder: Path, broker: str, protocol: str = "5", subscription: dict[str, Any] | None = None
) -> Path:
    """The moulding shop's plant.yaml reading ``broker`` (JSON per signal unless told)."""
    plant = yaml.safe_load((SCENARIOS / "injection-moulding" / "plant.yaml").read_text())
    plant["sources"] = [{
        "id": "shop-broker", "kind": "mqtt", "url": broker, "client_id": f"test-{folder.name}",
        "protocol": protocol, "subscriptions": [subscription or JSON_PER_SIGNAL],
    }]  # fmt: skip
    plant["historian"] = {"kind": "sqlite", "path": "historian.db"}
    plant["outbox"] = {"path": "outbox.db"}
    path = folder / "plant.yaml"
    path.write_text(yaml.safe_dump(plant, allow_unicode=True))
    return path


async def simulate(
    broker: str, folder: Path, *args: str, fmt: str = "json"
) -> asyncio.subprocess.Process:
    """The moulding shop publishing to ``broker``, writing its values and truth to folder."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", "simulate", "mqtt", "-s", "injection-moulding",
        "--broker", broker, "--format", fmt, "--values", str(folder / "values.jsonl"),
        "--truth", str(folder / "truth.json"), *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip


async def finished(
    simulator: asyncio.subprocess.Process, folder: Path
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Wait for the simulator; what it served and its truth file."""
    _, err = await simulator.communicate()
    assert simulator.returncode == 0, err.decode()
    served = [json.loads(line) for line in (folder / "values.jsonl").read_text().splitlines()]
    return served, json.loads((folder / "truth.json").read_text())


def served_keys(served: list[dict[str, Any]]) -> set[tuple[str, str, int, str]]:
    return {(v["machine"], v["signal"], v["ts"], json.dumps(v["value"])) for v in served}


async def stored_keys(
    folder: Path, truth: dict[str, Any], want: set[tuple[str, str, int, str]]
) -> set[tuple[str, str, int, str]]:
    """What the historian in ``folder`` holds, once it holds ``want`` (or after a minute)."""
    historian = SqliteHistorian(folder / "historian.db")
    try:
        for _ in range(300):
            stored = await historian.read_series(PRESSES, truth["start"], truth["end"] + 1)
            got = {(s.machine_id, s.signal, s.ts, json.dumps(s.value)) for s in stored}
            if got >= want:
                break
            await asyncio.sleep(0.2)
    finally:
        await historian.close()
    return got


async def test_every_json_value_is_stored_once_and_every_malformed_payload_is_dead_lettered(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    chaos = tmp_path / "chaos.yaml"
    chaos.write_text("mqtt: {malformed: 0.01, duplicates: 0.01}\n")
    plant = load_plant(collecting_plant(tmp_path, mosquitto_server.url))
    collector = Collector(plant)
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not all(c.health.connected for c in collector.connectors):
        await asyncio.sleep(0.1)
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "max", "--duration",
                               "3h", "--chaos", str(chaos), "--seed", "4")  # fmt: skip
    served, truth = await finished(simulator, tmp_path)
    source = collector.connectors[0].health
    malformed = [e for e in truth["chaos"] if e["kind"] == "malformed"]
    duplicates = [e for e in truth["chaos"] if e["kind"] == "duplicate"]
    expected_messages = len(served) + len(malformed) + len(duplicates)
    for _ in range(1800):
        if source.messages >= expected_messages:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    stop.set()
    await run
    historian = SqliteHistorian(tmp_path / "historian.db")
    stored = await historian.read_series(PRESSES, truth["start"], truth["end"] + 1)
    await historian.close()
    got = Counter((s.machine_id, s.signal, s.ts, s.value) for s in stored)
    assert got == Counter((v["machine"], v["signal"], v["ts"], v["value"]) for v in served)
    dead = UnreadableMessages(plant.outbox.path.with_suffix(".dead.db"))
    letters = await dead.recent(10_000)
    await dead.close()
    assert source.messages == expected_messages
    assert len(letters) == len(malformed) > 5
    assert Counter(d.origin for d in letters) == Counter(e["topic"] for e in malformed)
    assert all(d.reason and d.source == "shop-broker" for d in letters)
    listed = smkit("outbox", "dead-letters", "--plant", str(tmp_path / "plant.yaml"))
    assert listed.returncode == 0 and "messages that could not be read:" in listed.stdout
    assert letters[0].reason in listed.stdout


async def served_and_stored(
    simulator: asyncio.subprocess.Process, collector: asyncio.subprocess.Process, folder: Path
) -> tuple[set[tuple[str, str, int, str]], set[tuple[str, str, int, str]]]:
    """Once the simulator is done: what it served, and what the historian then holds (the
    collector is stopped either way)."""
    served, truth = await finished(simulator, folder)
    want = served_keys(served)
    try:
        return want, await stored_keys(folder, truth, want)
    finally:
        collector.terminate()
        await collector.communicate()


async def start_collector(plant_file: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", "collect", "--plant", str(plant_file),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip


async def test_a_collector_killed_mid_stream_loses_nothing_with_a_persistent_session(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    plant_file = collecting_plant(tmp_path, mosquitto_server.url)
    collector = await start_collector(plant_file)
    await asyncio.sleep(3.0)  # subscribed: the broker keeps our session from now on
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "400", "--duration",
                               "1h", "--seed", "9")  # fmt: skip
    await asyncio.sleep(4.0)
    collector.kill()  # SIGKILL: no flush, no goodbye
    await collector.wait()
    await asyncio.sleep(2.0)  # messages pile up at the broker meanwhile
    collector = await start_collector(plant_file)
    want, got = await served_and_stored(simulator, collector, tmp_path)
    assert want - got == set(), f"{len(want - got)} of {len(want)} values lost"
    assert got == want


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_a_broker_restart_mid_stream_loses_nothing(tmp_path: Path, protocol: str) -> None:
    broker = LocalMosquitto(tmp_path / "broker")
    broker.start()
    try:
        plant_file = collecting_plant(tmp_path, broker.url, protocol=protocol)
        collector = await start_collector(plant_file)
        await asyncio.sleep(3.0)
        simulator = await simulate(broker.url, tmp_path, "--speed", "300", "--duration", "1h",
                                   "--seed", "5")  # fmt: skip
        await asyncio.sleep(4.0)
        await asyncio.to_thread(broker.stop)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(broker.start)
        want, got = await served_and_stored(simulator, collector, tmp_path)
    finally:
        broker.stop()
    assert want - got == set(), f"{len(want - got)} of {len(want)} values lost"


async def test_two_collectors_in_a_shared_group_split_the_work_and_store_each_value_once(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    path = collecting_plant(tmp_path, mosquitto_server.url)
    document = yaml.safe_load(path.read_text())
    document["sources"][0]["shared_group"] = "collectors"
    document["collectors"] = [{"id": name, "sources": ["shop-broker"]} for name in ("a", "b")]
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    plant = load_plant(path)
    collectors = [Collector(plant.for_collector(name)) for name in ("a", "b")]
    stop = asyncio.Event()
    runs = [asyncio.create_task(c.run(stop)) for c in collectors]
    while not all(c.connectors[0].health.connected for c in collectors):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "max", "--duration",
                               "30m", "--seed", "6")  # fmt: skip
    served, truth = await finished(simulator, tmp_path)
    for _ in range(300):
        if sum(c.connectors[0].health.messages for c in collectors) >= len(served):
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*runs)
    for collector in collectors:
        health = collector.connectors[0].health
        assert health.messages > len(served) / 10, "each collector did a fair share of the work"
    assert sum(c.connectors[0].health.samples for c in collectors) == len(served)
    historian = SqliteHistorian(tmp_path / "historian.db")
    stored = await historian.read_series(PRESSES, truth["start"], truth["end"] + 1)
    await historian.close()
    assert Counter((s.machine_id, s.signal, s.ts, json.dumps(s.value)) for s in stored) == Counter(
        (v["machine"], v["signal"], v["ts"], json.dumps(v["value"])) for v in served
    )
    document_of_both, running = last_health(plant, time.time_ns())
    assert document_of_both is not None and running
    assert [s["source"] for s in document_of_both["sources"]] == ["shop-broker"] * 2
    assert document_of_both["historian"]["delivered"] == len(served)


def fuzz_messages(
    count: int, seed: int
) -> tuple[list[tuple[str, bytes]], set[tuple[str, str, int]]]:
    """Good JSON values interleaved with payloads that cannot be read, and the good keys."""
    rng = random.Random(seed)
    base = "im-shop/moulding/presses"
    messages, good = [], set()
    for number in range(count):
        machine = rng.choice(PRESSES)
        ts = 1_795_385_400_000 + number  # ms, unique per message
        if number % 2 == 0:
            value = round(rng.uniform(200, 260), 3)
            messages.append(
                (f"{base}/{machine}/melt_temp", json.dumps({"value": value, "ts": ts}).encode())
            )
            good.add((machine, "melt_temp", ts * 1_000_000))
            continue
        bad = rng.choice([
            bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40))) + b"\xff",
            b"{" + str(rng.random()).encode(),
            json.dumps({"valu": 1, "ts": ts}).encode(),
            json.dumps({"value": [1, 2], "ts": ts}).encode(),
            json.dumps({"value": "hot", "ts": ts}).encode(),
            json.dumps({"value": 1.5, "ts": "noon"}).encode(),
        ])  # fmt: skip
        topic = rng.choice([f"{base}/{machine}/melt_temp", f"{base}/press-99/melt_temp",
                            f"{base}/{machine}/no_such_signal"])  # fmt: skip
        if topic.endswith("no_such_signal") or "press-99" in topic:
            bad = json.dumps({"value": 1.0, "ts": ts}).encode()
        messages.append((topic, bad))
    return messages, good


async def test_ten_thousand_fuzzed_and_good_payloads_keep_the_collector_running(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    plant = load_plant(collecting_plant(tmp_path, mosquitto_server.url))
    collector = Collector(plant)
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not collector.connectors[0].health.connected:
        await asyncio.sleep(0.1)
    messages, good = fuzz_messages(10_000, seed=12)
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    host, port = "127.0.0.1", int(mosquitto_server.url.rsplit(":", 1)[1])
    publisher.connect(host, port)
    publisher.loop_start()
    infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages]
    await asyncio.to_thread(lambda: [info.wait_for_publish(30) for info in infos])
    publisher.disconnect()
    publisher.loop_stop()
    health = collector.connectors[0].health
    for _ in range(600):
        if health.messages >= len(messages):
            break
        await asyncio.sleep(0.1)
    stop.set()
    await run
    historian = SqliteHistorian(tmp_path / "historian.db")
    stored = await historian.read_series(PRESSES, 0, 2**62)
    await historian.close()
    dead = UnreadableMessages(plant.outbox.path.with_suffix(".dead.db"))
    letters = await dead.recent(20_000)
    await dead.close()
    assert health.messages == 10_000
    assert {(s.machine_id, s.signal, s.ts) for s in stored} == good
    assert len(letters) == 10_000 - len(good) == health.dead
    reasons = Counter(letter.reason.split(":")[0].split(" (")[0] for letter in letters)
    assert len(reasons) >= 5 and all(letter.reason for letter in letters), reasons


async def test_the_embedded_amqtt_broker_carries_every_value_over_mqtt_3_1_1(
    tmp_path: Path,
) -> None:
    """Where Mosquitto is not installed (``make demo`` on a bare machine) amqtt stands in."""
    broker = LocalAmqtt(tmp_path / "broker")
    broker.start()
    try:
        collector = await start_collector(collecting_plant(tmp_path, broker.url, "3.1.1"))
        await asyncio.sleep(3.0)
        simulator = await simulate(broker.url, tmp_path, "--speed", "max", "--duration", "30m",
                                   "--mqtt-protocol", "3.1.1")  # fmt: skip
        want, got = await served_and_stored(simulator, collector, tmp_path)
    finally:
        broker.stop()
    assert got == want and len(want) > 1000


async def test_flat_documents_from_the_simulator_and_a_plain_paho_publisher_are_stored(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    flat = {"topic": "{site}/{area}/{line}/{machine}", "parser": "json",
            "json": {"values": "$", "timestamp": "ts", "ignore": ["gateway"]}}  # fmt: skip
    plant = load_plant(collecting_plant(tmp_path, mosquitto_server.url, subscription=flat))
    collector = Collector(plant)
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not all(c.health.connected for c in collector.connectors):
        await asyncio.sleep(0.1)
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "max", "--duration",
                               "20m", "--seed", "6", fmt="flat")  # fmt: skip
    served, truth = await finished(simulator, tmp_path)
    base = "im-shop/moulding/presses/press-01"
    first = truth["end"] // 10**6 + 1000  # after the simulation, in ms
    documents = [{"ts": first + n * 1000, "gateway": "gw-7", "mode": "AUTOMATIC",
                  "shots": 100 + n, "melt_temp": 230.5 + n} for n in range(5)]  # fmt: skip
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="plain-gateway")
    host, port = mosquitto_server.url.removeprefix("mqtt://").split(":")
    publisher.connect(host, int(port))
    publisher.loop_start()
    for document in documents:
        publisher.publish(base, json.dumps(document), qos=1).wait_for_publish(10)
    publisher.loop_stop()
    publisher.disconnect()
    want = served_keys(served) | {
        ("press-01", name, d["ts"] * 10**6, json.dumps(d[name]))
        for d in documents for name in ("mode", "shots", "melt_temp")
    }  # fmt: skip
    got = await stored_keys(tmp_path, {**truth, "end": first * 10**6 + 10 * 10**9}, want)
    stop.set()
    await run
    assert got == want
    assert collector.connectors[0].health.dead == 0, "no timestamp or gateway read as a signal"
