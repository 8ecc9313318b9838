"""How many MQTT messages (and samples) per second one collector takes from Mosquitto into the
historian, with nothing lost.

A private Mosquitto holds a persistent session for each consumer below. Publisher processes
(--publishers) fill those sessions with --messages QoS 1 messages while the consumers are away,
so the publishers can never be what limits the rate; then each consumer, in a process of its own,
drains its session and is timed from its first message to its last:

* baseline "counting": a bare paho client that only counts and acknowledges (the client's limit);
  over MQTT 5 a second one reads the message properties as smkit does (paho rebuilds its
  property tables for every message; smkit shares them, see smkit/protocols/mqtt_properties.py),
  and the targets are held against the faster of the two;
* smkit: the MQTT connector -> on-disk outbox -> forwarder -> SQLite historian; timed until the
  historian holds every sample, and checked to hold exactly the samples published (no loss);
* baseline "naive": a paho client that writes each message to the historian as it arrives
  (timed on its first --naive-seconds; it would take far longer to drain).

Run for JSON (one value per message, as a gateway sends per signal) and Sparkplug B (DDATA of
--metrics metrics each, after the births; published at QoS 1 here so the broker keeps them for
the absent consumers). CPU time (of one core) and peak RSS are those of the consumer's process
(with smkit's forwarder process: its CPU added, the larger RSS).

Each case runs --rounds times (fresh sessions, filled once for all consumers, drained in turn)
and prints each consumer's median round: single runs move by some 20 % with what else the two
cores do (the broker among it).

Targets: JSON at QoS 1 >= 10,000 messages/s with no loss, >= 0.7x counting and >= 20x naive;
Sparkplug B >= 0.5x counting; over MQTT 5 and 3.1.1 alike.

Usage: python benchmarks/mqtt_ingest.py [--messages 200000] [--publishers 3] [--rounds 3]
[--kind json sparkplug] [--protocol 5 3.1.1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import resource
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from smkit.collector import child_forwarder, plant_outbox
from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.connectors.mqtt.connector import MqttConnector
from smkit.core.sample import Sample
from smkit.historian.forwarder_process import ForwarderProcess
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalMosquitto
from smkit.plant.loader import parse_plant
from smkit.plant.mqtt import MqttSource
from smkit.protocols.mqtt_properties import read_properties_cheaply
from smkit.protocols.sparkplug import BDSEQ, REBIRTH, DataType, Metric, Payload, encode

MACHINES, SIGNALS = 20, 50
T0_MS = 1_795_385_400_000
JSON_FILTER = "bench/+/+/+/+"
SPARKPLUG_FILTER = "spBv1.0/bench/+/+/#"


def plant_text(kind: str, url: str, client_id: str, protocol: str, folder: str = ".") -> str:
    """A plant of MACHINES machines with SIGNALS float signals each, read from ``url``; its
    outbox and SQLite historian in ``folder``."""
    if kind == "json":
        subscription = {"topic": "{site}/{area}/{line}/{machine}/{signal}", "parser": "json",
                        "json": {"value": "v", "timestamp": "ts"}}  # fmt: skip
    else:
        subscription = {"topic": "spBv1.0/{site}/+/+/{machine}", "parser": "sparkplug_b"}
    signals = [{"name": f"s{j}", "type": "float"} for j in range(SIGNALS)]
    product = {"id": "p", "ideal_cycle_time_s": 1}
    machines = [{"id": f"m{k}", "source": "broker", "products": [product], "signals": signals}
                for k in range(MACHINES)]  # fmt: skip
    plant = {
        "site": {"id": "bench", "timezone": "UTC",
                 "areas": [{"id": "a", "lines": [{"id": "l", "machines": machines}]}]},
        "sources": [{"id": "broker", "kind": "mqtt", "url": url, "client_id": client_id,
                     "protocol": protocol,
                     "session": {"persistent": True, "expiry": "1h"},
                     "subscriptions": [subscription]}],
        "outbox": {"path": f"{folder}/{kind}-outbox.db"},
        "historian": {"kind": "sqlite", "path": f"{folder}/{kind}.db"},
    }  # fmt: skip
    return yaml.safe_dump(plant)


def json_messages(first: int, count: int) -> list[tuple[str, bytes]]:
    """Messages ``first`` .. ``first+count-1``: each a distinct (machine, signal, time)."""
    out = []
    for n in range(first, first + count):
        machine, signal = n % MACHINES, (n // MACHINES) % SIGNALS
        ms = T0_MS + n // (MACHINES * SIGNALS)
        payload = json.dumps({"v": n * 0.5, "ts": ms}).encode()
        out.append((f"bench/a/l/m{machine}/s{signal}", payload))
    return out


def sparkplug_node(node: int, nodes: int, count: int, metrics: int) -> list[tuple[str, bytes]]:
    """Edge node ``g<node>`` (machines k with k % nodes == node): births, then ``count`` DDATA
    of ``metrics`` metrics each, with seq counting as the specification says."""
    prefix = f"spBv1.0/bench/%s/g{node}"
    machines = list(range(node, MACHINES, nodes))
    node_metrics = [Metric(name=BDSEQ, datatype=DataType.INT64, value=0),
                    Metric(name=REBIRTH, datatype=DataType.BOOLEAN, value=False)]  # fmt: skip
    out = [(prefix % "NBIRTH", encode(Payload(T0_MS, node_metrics, 0)))]
    seq = 1
    for k in machines:
        declared = [Metric(name=f"s{j}", alias=k * SIGNALS + j, datatype=DataType.DOUBLE,
                           is_null=True) for j in range(SIGNALS)]  # fmt: skip
        out.append((f"{prefix % 'DBIRTH'}/m{k}", encode(Payload(T0_MS, declared, seq))))
        seq += 1
    for n in range(count):
        machine = machines[n % len(machines)]
        ms = T0_MS + 1 + n // len(machines)
        values = [Metric(alias=machine * SIGNALS + j % SIGNALS, timestamp=ms + j // SIGNALS,
                         datatype=DataType.DOUBLE, value=n + j * 0.25, send_datatype=False)
                  for j in range(metrics)]  # fmt: skip
        out.append((f"{prefix % 'DDATA'}/m{machine}", encode(Payload(ms, values, seq % 256))))
        seq += 1
    return out


def publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    """A publisher process: everything at QoS 1, returning once the broker acknowledged all."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(50)
    done = threading.Semaphore(0)
    client.on_publish = lambda *args: done.release()
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    for _ in messages:
        done.acquire()
    client.disconnect()
    client.loop_stop()


@dataclass(frozen=True)
class Session:
    """A consumer's persistent session at the broker."""

    port: int
    client_id: str
    protocol: str


def session_client(session: Session) -> mqtt.Client:
    """A client that resumes (or opens) the persistent session."""
    if session.protocol == "3.1.1":
        client = mqtt.Client(CallbackAPIVersion.VERSION2, session.client_id, clean_session=False)
        client.connect("127.0.0.1", session.port)
        return client
    client = mqtt.Client(CallbackAPIVersion.VERSION2, session.client_id, protocol=mqtt.MQTTv5)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 3600
    client.connect("127.0.0.1", session.port, clean_start=False, properties=properties)
    return client


def open_session(session: Session, topic_filter: str) -> None:
    """Subscribe with a persistent session and leave: the broker keeps messages for us."""
    client = session_client(session)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    client.loop_start()
    client.subscribe(topic_filter, qos=1)
    assert subscribed.wait(10)
    client.disconnect()
    client.loop_stop()


def usage(*, with_children: bool = False) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of this process, with its ended children if asked (CPU
    summed, RSS the larger)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu, rss = used.ru_utime + used.ru_stime, used.ru_maxrss / 1024
    if with_children:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += children.ru_utime + children.ru_stime
        rss = max(rss, children.ru_maxrss / 1024)
    return cpu, rss


def paho_consumer(session: Session, on_message: Callable[..., None]) -> mqtt.Client:
    client = session_client(session)
    client.on_message = on_message
    return client


def count_only(session: Session, total: int, result: Any) -> None:
    """Baseline: count messages until ``total`` arrived."""
    got, first = 0, 0.0
    finished = threading.Event()

    def on_message(*args: Any) -> None:
        nonlocal got, first
        got += 1
        if got == 1:
            first = time.monotonic()
        if got == total:
            finished.set()

    client = paho_consumer(session, on_message)
    client.loop_start()
    cpu = usage()[0]
    finished.wait(600)
    elapsed = time.monotonic() - first
    client.disconnect()
    client.loop_stop()
    result.put((got, elapsed, usage()[0] - cpu, usage()[1]))


def count_sharing_tables(session: Session, total: int, result: Any) -> None:
    """Baseline: count, with MQTT 5 properties read as smkit reads them (tables shared)."""
    read_properties_cheaply()
    count_only(session, total, result)


def naive(session: Session, seconds: float, folder: str, result: Any) -> None:
    """Baseline: each JSON message written to the historian as it arrives (for ``seconds``)."""

    async def main() -> None:
        historian = SqliteHistorian(Path(folder) / "naive.db")
        queue: asyncio.Queue[mqtt.MQTTMessage] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def arrived(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, message)

        client = paho_consumer(session, arrived)
        client.loop_start()
        cpu, got = usage()[0], 0
        first = await queue.get()
        started = time.monotonic()
        message: mqtt.MQTTMessage | None = first
        while time.monotonic() - started < seconds:
            message = message or await queue.get()
            _, _, _, machine, signal = message.topic.split("/")
            data = json.loads(message.payload)
            await historian.write_samples([Sample(machine, signal, data["ts"] * 10**6, data["v"])])
            got, message = got + 1, None
        elapsed = time.monotonic() - started
        client.disconnect()
        client.loop_stop()
        await historian.close()
        result.put((got, elapsed, usage()[0] - cpu, usage()[1]))

    asyncio.run(main())


def smkit_collector(kind: str, session: Session, total: int, folder: str, result: Any) -> None:
    """smkit: connector -> outbox -> forwarder -> SQLite, until ``total`` samples are stored;
    the forwarder in a process of its own, as ``smkit collect`` does on two cores."""

    async def main() -> None:
        url = f"mqtt://127.0.0.1:{session.port}"
        text = plant_text(kind, url, session.client_id, session.protocol, folder)
        plant = parse_plant(text)
        source = plant.sources[0]
        assert isinstance(source, MqttSource)
        cpu = usage(with_children=True)[0]
        async with (
            plant_outbox(plant, trims=False) as outbox,
            ForwarderProcess(partial(child_forwarder, plant)) as forwarder,
            UnreadableMessages(Path(folder) / f"{kind}.dead.db") as dead,
        ):
            connector = MqttConnector(source, plant, outbox, dead)
            messages, elapsed, dead_messages = await collected(connector, forwarder, total)
        used, rss = usage(with_children=True)  # the forwarder process ended with the block
        result.put((messages, elapsed, used - cpu, rss, dead_messages))

    asyncio.run(main())


async def collected(
    connector: MqttConnector, forwarder: ForwarderProcess, total: int
) -> tuple[int, float, int]:
    """Run both until the forwarder delivered ``total`` samples: (messages, seconds from the
    first message, dead messages)."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(connector.run(stop)),
             asyncio.create_task(forwarder.run(stop))]  # fmt: skip
    while connector.health.messages == 0:
        await asyncio.sleep(0.001)
    started = time.monotonic()
    # the forwarder's count, not a count(*) of the historian's table: that query, every
    # 50 ms on a table of half a million rows, took a tenth of the process's time
    while forwarder.health.delivered < total:
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    stop.set()
    await asyncio.gather(*tasks)
    return connector.health.messages, elapsed, connector.health.dead


def stored(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM samples").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def run(target: Callable[..., None], *args: Any) -> tuple[Any, ...]:
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    process = context.Process(target=target, args=(*args, result))
    process.start()
    value = result.get(timeout=900)
    process.join(30)
    return tuple(value)


def fill(port: int, shares: list[list[tuple[str, bytes]]]) -> float:
    """Publish each share from a process of its own; returns the messages/s they reached."""
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    processes = [context.Process(target=publish, args=(port, share)) for share in shares]
    for process in processes:
        process.start()
    for process in processes:
        process.join(600)
    return sum(len(share) for share in shares) / (time.monotonic() - started)


def line(name: str, measured: tuple[Any, ...], per: int) -> float:
    """Print one consumer's figures; returns its messages/s."""
    messages, elapsed, cpu, rss = measured[:4]
    rate = messages / elapsed
    print(f"  {name:<44} {rate:>9,.0f} msg/s {rate * per:>10,.0f} samples/s  "
          f"CPU {100 * cpu / elapsed:>4.0f}%  RSS {rss:>5.0f} MB")  # fmt: skip
    return float(rate)


def bench(kind: str, protocol: str, port: int, options: argparse.Namespace) -> None:
    """Per round: fill fresh sessions of every consumer at once, drain each in turn; print
    each consumer's median round (the machine's other load moves single runs by 20 %)."""
    per, publishers = (1 if kind == "json" else options.metrics), options.publishers
    topic_filter = JSON_FILTER if kind == "json" else SPARKPLUG_FILTER
    if kind == "json":
        messages = json_messages(0, options.messages)
        shares = [messages[i::publishers] for i in range(publishers)]
        total = options.messages
    else:
        each = options.messages // 4 // publishers
        shares = [sparkplug_node(i, publishers, each, options.metrics) for i in range(publishers)]
        total = each * publishers * options.metrics + MACHINES * SIGNALS  # births: all null
    sent = sum(len(share) for share in shares)
    counted, sharing, ours, slow, held, dead = [], [], [], [], [], 0
    for turn in range(options.rounds):
        roles = ["count", "smkit"] + (["shared"] if protocol == "5" else [])
        roles += ["naive"] if kind == "json" and turn == 0 else []
        sessions = {role: Session(port, f"{role}-{kind}-{protocol}-{turn}", protocol)
                    for role in roles}  # fmt: skip
        for session in sessions.values():
            open_session(session, topic_filter)
        rate = fill(port, shares)
        with tempfile.TemporaryDirectory() as folder:
            counted.append(run(count_only, sessions["count"], sent))
            if "shared" in sessions:
                sharing.append(run(count_sharing_tables, sessions["shared"], sent))
            if "naive" in sessions:
                slow.append(run(naive, sessions["naive"], options.naive_seconds, folder))
            ours.append(run(smkit_collector, kind, sessions["smkit"], total, folder))
            held.append(stored(Path(folder) / f"{kind}.db"))
            dead += ours[-1][4]
        for session in sessions.values():
            close_session(session)
    print(f"{kind}, MQTT {protocol}: {sent:,} messages at QoS 1, {options.rounds} rounds "
          f"({publishers} publisher processes reached {rate:,.0f} msg/s filling the "
          "sessions)")  # fmt: skip
    counting = line("baseline: paho, counting only", median(counted), per)
    if sharing:
        shared = line("baseline: the same, property tables shared",
                      median(sharing), per)  # fmt: skip
        counting = max(counting, shared)
    if slow:
        slowest = line("baseline: naive, one historian write each", slow[0], per)
    smkit = line("smkit: connector -> outbox -> SQLite", median(ours), per)
    target = 0.7 if kind == "json" else 0.5
    against = "the faster counting baseline" if sharing else "counting"
    checks = [(f"{smkit / counting:.2f}x {against}", f">= {target}x", smkit >= target * counting)]
    if kind == "json":
        checks += [(f"{smkit:,.0f} msg/s", ">= 10,000", smkit >= 10_000),
                   (f"{smkit / slowest:.0f}x naive", ">= 20x", smkit >= 20 * slowest)]  # fmt: skip
    verdict = "; ".join(f"{figure} ({'meets' if ok else 'MISSES'} {goal})"
                        for figure, goal, ok in checks)  # fmt: skip
    lost = "no loss" if all(h == total for h in held) and not dead else "LOSS"
    print(f"  {verdict}; samples stored {min(held):,} of {total:,} in every round ({lost})")


def median(runs: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The run whose rate is the median of the rounds'."""
    ordered = sorted(runs, key=lambda measured: measured[0] / measured[1])
    return ordered[len(ordered) // 2]


def close_session(session: Session) -> None:
    """End a consumer's persistent session, so the broker stops keeping messages for it."""
    if session.protocol == "3.1.1":
        client = mqtt.Client(CallbackAPIVersion.VERSION2, session.client_id, clean_session=True)
        client.connect("127.0.0.1", session.port)
    else:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, session.client_id,
                             protocol=mqtt.MQTTv5)  # fmt: skip
        client.connect("127.0.0.1", session.port, clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


def main(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as root:
        broker = LocalMosquitto(Path(root))
        broker.start()
        try:
            for kind in options.kind:
                for protocol in options.protocol:
                    bench(kind, protocol, broker.port, options)
        finally:
            broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--publishers", type=int, default=3)
    parser.add_argument("--metrics", type=int, default=10, help="metrics per Sparkplug DDATA")
    parser.add_argument("--protocol", nargs="+", choices=["5", "3.1.1"], default=["5", "3.1.1"])
    parser.add_argument("--kind", nargs="+", choices=["json", "sparkplug"],
                        default=["json", "sparkplug"])  # fmt: skip
    parser.add_argument("--naive-seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="fills and drains per case")
    main(parser.parse_args())
