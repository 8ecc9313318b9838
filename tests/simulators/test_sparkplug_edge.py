"""The simulator's Sparkplug B edge nodes, decoded with protobuf compiled from the spec's schema."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from smkit.localservers import LocalMosquitto
from smkit.simulators.catalog import find_scenario
from smkit.simulators.chaos import Chaos, ChaosLog, MqttChaos
from smkit.simulators.live import MAX
from smkit.simulators.mqtt_client import BrokerSettings
from smkit.simulators.mqtt_publisher import MqttOptions, MqttPublisher
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.serve import ServeOptions, serve
from smkit.simulators.signals import signal_values
from tests.simulators.mqtt_recorder import Recorder

GROUP = "spBv1.0/im-shop"
NODE = "presses"
INT64, BOOLEAN = 4, 11
SIGNED = {1: 8, 2: 16, 3: 32, 4: 64}


@pytest.fixture(scope="module")
def moulding() -> LoadedScenario:
    return find_scenario("injection-moulding")


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalMosquitto]:
    """A broker for one test: every run of the scenario's edge nodes has the same client ids,
    so on a broker shared with other tests a session left by one of them (its will, messages
    still on the way) came into what these tests record."""
    broker = LocalMosquitto(tmp_path / "own-broker")
    broker.start()
    yield broker
    broker.stop()


def options(broker: LocalMosquitto, values: Path, qos: int = 0, **extra: Any) -> ServeOptions:
    return ServeOptions(
        seed=5,
        duration_s=900.0,
        mqtt=MqttOptions(BrokerSettings(broker.url), "sparkplug", qos=qos),
        values_path=values,
        **{"speed": MAX, **extra},
    )


def decoded(reference_payload: Any, messages: list[tuple[str, bytes]]) -> list[tuple[str, Any]]:
    out = []
    for topic, payload in messages:
        message = reference_payload()
        message.ParseFromString(payload)
        out.append((topic, message))
    return out


def metric_value(metric: Any, datatype: int) -> object:
    raw = getattr(metric, metric.WhichOneof("value"))
    bits = SIGNED.get(datatype)
    if bits is not None and raw >> (bits - 1):
        return raw - (1 << bits)
    return raw


async def test_births_aliases_sequence_and_data_follow_the_spec(
    moulding: LoadedScenario,
    own_broker: LocalMosquitto,
    tmp_path: Path,
    reference_payload: Any,
) -> None:
    values = tmp_path / "values.jsonl"
    with Recorder(own_broker.url, "spBv1.0/#") as recorder:
        await serve(moulding, options(own_broker, values))
        messages = decoded(reference_payload, recorder.settle())
    kinds = [topic.split("/")[2] for topic, _ in messages]
    assert kinds[0] == "NBIRTH" and kinds[1:5] == ["DBIRTH"] * 4 and set(kinds[5:]) == {"DDATA"}
    topic, nbirth = messages[0]
    assert topic == f"{GROUP}/NBIRTH/{NODE}" and nbirth.seq == 0
    node_metrics = {m.name: m for m in nbirth.metrics}
    assert node_metrics["bdSeq"].datatype == INT64 and node_metrics["bdSeq"].long_value == 0
    rebirth = node_metrics["Node Control/Rebirth"]
    assert rebirth.datatype == BOOLEAN and rebirth.boolean_value is False
    assert not rebirth.HasField("alias")
    births: dict[tuple[str, int], tuple[str, int]] = {}
    for topic, dbirth in messages[1:5]:
        device = topic.rsplit("/", 1)[1]
        for metric in dbirth.metrics:
            assert metric.HasField("name") and metric.HasField("alias")
            births[(device, metric.alias)] = (metric.name, metric.datatype)
    aliases = [alias for _, alias in births]
    assert len(set(aliases)) == len(aliases), "aliases are unique per edge node"
    assert [m.seq for _, m in messages] == [i % 256 for i in range(len(messages))]
    got = []
    for topic, ddata in messages[5:]:
        device = topic.rsplit("/", 1)[1]
        for metric in ddata.metrics:
            assert not metric.HasField("name") and not metric.HasField("datatype")
            name, datatype = births[(device, metric.alias)]
            got.append((metric.timestamp * 1_000_000, device, name, metric_value(metric, datatype)))
    served = [json.loads(line) for line in values.read_text().splitlines()]
    want = [(v["ts"], v["machine"], v["signal"], v["value"]) for v in served]
    assert got == want
    assert len(got) > 1000


async def test_a_dropped_session_sends_ndeath_and_comes_back_with_the_next_bdseq(
    moulding: LoadedScenario,
    own_broker: LocalMosquitto,
    tmp_path: Path,
    reference_payload: Any,
) -> None:
    chaos = Chaos(mqtt=MqttChaos(disconnects_per_hour=12, disconnect_downtime=0.1))
    with Recorder(own_broker.url, "spBv1.0/#") as recorder:
        report = await serve(moulding, options(own_broker, tmp_path / "v", chaos=chaos))
        messages = decoded(reference_payload, recorder.settle())
    drops = sum(
        1 for e in report.chaos.entries if e["kind"] == "broker_disconnect" and "skipped" not in e
    )
    assert drops >= 1
    lifecycle = [
        (topic.split("/")[2], next(m.long_value for m in p.metrics if m.name == "bdSeq"))
        for topic, p in messages
        if topic.split("/")[2] in ("NBIRTH", "NDEATH")
    ]
    expected = [("NBIRTH", 0)]
    for session in range(drops):
        expected += [("NDEATH", session), ("NBIRTH", session + 1)]
    assert lifecycle == expected
    deaths = [p for topic, p in messages if "/NDEATH/" in topic]
    assert all(not p.HasField("seq") for p in deaths), "NDEATH carries no seq"


def take_over(url: str, client_id: str) -> None:
    """Connect as ``client_id`` for a moment: the broker drops that client's session."""
    host, port = BrokerSettings(url).host_port
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5)  # fmt: skip
    client.connect(host, port)
    client.loop_start()
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()


async def test_a_node_the_broker_dropped_is_born_again_with_its_newest_values(
    moulding: LoadedScenario, own_broker: LocalMosquitto, tmp_path: Path, reference_payload: Any
) -> None:
    """Values due while the session was down are sent afterwards as historical data; the
    births before them already carry the newest of them, as a real edge node's births carry
    its values as of now (a host takes a birth value older than the death as what held)."""
    with Recorder(own_broker.url, "spBv1.0/#") as recorder:
        serving = options(own_broker, tmp_path / "v", qos=1, speed=200.0)
        run = asyncio.create_task(serve(moulding, serving))
        while not any("/DDATA/" in topic for topic, _ in recorder.messages):
            await asyncio.sleep(0.05)
        await asyncio.to_thread(take_over, own_broker.url, "smkit-sim-injection-moulding-presses")
        await run
        messages = decoded(reference_payload, recorder.settle())
    again = [i for i, (topic, _) in enumerate(messages) if "/NBIRTH/" in topic][1]
    births = {topic.rsplit("/", 1)[1]: p for topic, p in messages[again + 1 : again + 5]}
    assert set(births) == {"press-01", "press-02", "press-03", "press-04"}
    newest: dict[tuple[str, int], int] = {}
    for topic, p in messages[again + 5 :]:
        for m in p.metrics if "/DDATA/" in topic else []:
            if m.is_historical:
                key = (topic.rsplit("/", 1)[1], m.alias)
                newest[key] = max(newest.get(key, 0), m.timestamp)
    assert newest, "what was due while the session was down came as historical data"
    for (device, alias), ts in newest.items():
        born = next(m for m in births[device].metrics if m.alias == alias)
        assert born.timestamp >= ts, (device, born.name, born.timestamp, ts)


async def test_a_rebirth_command_republishes_every_birth_with_the_same_bdseq(
    moulding: LoadedScenario,
    own_broker: LocalMosquitto,
    tmp_path: Path,
    reference_payload: Any,
) -> None:
    with Recorder(own_broker.url, "spBv1.0/#") as recorder:
        run = asyncio.create_task(serve(moulding, options(own_broker, tmp_path / "v", speed=300.0)))
        while not any("/NBIRTH/" in topic for topic, _ in recorder.messages):
            await asyncio.sleep(0.05)
        command = reference_payload(timestamp=0)
        command.metrics.add(name="Node Control/Rebirth", datatype=BOOLEAN, boolean_value=True)
        recorder.publish(f"{GROUP}/NCMD/{NODE}", command.SerializeToString())
        report = await run
        messages = decoded(reference_payload, recorder.settle())
    births = [(i, p) for i, (topic, p) in enumerate(messages) if "/NBIRTH/" in topic]
    assert len(births) == 2 and report.served["mqtt"] > 0
    (first, _), (second, again) = births
    assert again.seq == 0
    assert next(m.long_value for m in again.metrics if m.name == "bdSeq") == 0
    assert [t.split("/")[2] for t, _ in messages[second + 1 : second + 5]] == ["DBIRTH"] * 4
    reborn = messages[second + 1][1]
    assert all(m.HasField("name") for m in reborn.metrics)
    assert any(m.HasField("string_value") and not m.is_null for m in reborn.metrics), (
        "births after a rebirth carry the current values"
    )
    assert first == 0


async def test_after_the_broker_restarts_the_node_comes_back_with_a_new_bdseq(
    moulding: LoadedScenario, tmp_path: Path, reference_payload: Any
) -> None:
    broker = LocalMosquitto(tmp_path / "broker")
    broker.start()
    try:
        # QoS 1 and a persistent recorder: what the node sends before the recorder is back is
        # kept for it (but the births, QoS 0 as the specification has them)
        with Recorder(broker.url, "spBv1.0/#", persistent=True) as recorder:
            serving = options(broker, tmp_path / "v", qos=1, speed=200.0)
            run = asyncio.create_task(serve(moulding, serving))
            while not any("/DDATA/" in topic for topic, _ in recorder.messages):
                await asyncio.sleep(0.05)
            await asyncio.to_thread(broker.stop)
            restarted = len(recorder.messages)
            await asyncio.to_thread(broker.start)
            await asyncio.to_thread(recorder.wait_subscribed)
            await asyncio.sleep(1.0)  # the node is back too (its NBIRTH may have gone unseen)
            command = reference_payload(timestamp=0)
            command.metrics.add(name="Node Control/Rebirth", datatype=BOOLEAN, boolean_value=True)
            recorder.publish(f"{GROUP}/NCMD/{NODE}", command.SerializeToString())
            report = await run
            messages = decoded(reference_payload, recorder.settle())
    finally:
        broker.stop()
    births = [
        next(m.long_value for m in p.metrics if m.name == "bdSeq")
        for topic, p in messages
        if "/NBIRTH/" in topic
    ]
    assert births[0] == 0 and births[-1] == 1, "the new session has the next bdSeq"
    historical = [i for i, (topic, p) in enumerate(messages)
                  if "/DDATA/" in topic and all(m.is_historical for m in p.metrics)]  # fmt: skip
    assert historical and min(historical) >= restarted, (
        "what was due while the broker was away comes once it is back, flagged historical"
    )
    after = [p for topic, p in messages if "/DDATA/" in topic][-1]
    assert after.timestamp * 1_000_000 > report.served_until - 60 * 10**9, "data flows again"


async def test_a_node_dropped_on_purpose_comes_back_whenever_the_broker_does(
    moulding: LoadedScenario, tmp_path: Path, reference_payload: Any
) -> None:
    """A session dropped by chaos is due back while the broker is restarting: the node keeps
    trying, and once the broker is back it sends what it kept, as historical data."""
    broker = LocalMosquitto(tmp_path / "broker")
    broker.start()
    values = list(signal_values(moulding.scenario, moulding.plant, simulate(moulding, 5, 600)))
    publisher = MqttPublisher(moulding.plant, "injection-moulding",
                              MqttOptions(BrokerSettings(broker.url), "sparkplug", qos=1),
                              chaos=MqttChaos(), chaos_log=ChaosLog(), seed=5)  # fmt: skip
    try:
        with Recorder(broker.url, "spBv1.0/#", persistent=True) as recorder:
            await publisher.start(values[0].ts)
            await publisher.publish(values[:100])
            await publisher.disconnect_for(values[99].ts, downtime_s=0.2)
            await asyncio.to_thread(broker.stop)
            await asyncio.sleep(1.0)  # the node was due back meanwhile
            kept = await publisher.publish(values[100:200])
            await asyncio.to_thread(broker.start)
            await asyncio.to_thread(recorder.wait_subscribed)
            await publisher.stop()
            messages = decoded(reference_payload, recorder.settle())
    finally:
        broker.stop()
    historical = {(topic.rsplit("/", 1)[1], m.timestamp) for topic, p in messages
                  if "/DDATA/" in topic for m in p.metrics if m.is_historical}  # fmt: skip
    assert {(v.machine, v.ts // 10**6) for v in kept} <= historical
