"""Collecting Sparkplug B from a real Mosquitto: the simulated shop, and the host rules of the
specification played by a hand-driven edge node (a plain paho client)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smkit.collector import Collector
from smkit.connectors.common.unreadable import UnreadableMessage, UnreadableMessages
from smkit.connectors.mqtt.connector import RECEIVE_MAXIMUM
from smkit.core.sample import Quality
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalMosquitto
from smkit.plant import load_plant
from smkit.protocols.sparkplug import (
    BDSEQ,
    REBIRTH,
    DataType,
    Metric,
    Payload,
    decode,
    encode,
)
from tests.connectors.test_mqtt_collect import PRESSES, collecting_plant, finished, simulate
from tests.simulators.mqtt_recorder import Recorder

SIGNALS = ["mode", "alarm", "shots", "rejects", "mould", "job", "last_cycle", "melt_temp",
           "injection_pressure", "power"]  # fmt: skip
T0 = 1_795_385_400_000  # ms


def sparkplug_plant(folder: Path, broker: str, **options: Any) -> Path:
    subscription = {"topic": "spBv1.0/{site}/+/{line}/{machine}", "parser": "sparkplug_b",
                    "sparkplug": options}  # fmt: skip
    return collecting_plant(folder, broker, subscription=subscription)


async def test_every_sparkplug_value_of_three_simulated_hours_is_stored_once(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    collector = Collector(load_plant(sparkplug_plant(tmp_path, mosquitto_server.url)))
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not collector.connectors[0].health.connected:
        await asyncio.sleep(0.1)
    # at 450x, not 900x: a reconnection slowed by a second pytest worker overlapped the next
    # scheduled drop, which the simulator then skipped ("already away")
    simulator = await simulate(mosquitto_server.url, tmp_path, "--qos", "0", "--speed", "450",
                               "--duration", "3h", "--seed", "3", fmt="sparkplug")  # fmt: skip
    served, truth = await finished(simulator, tmp_path)
    want = Counter((v["machine"], v["signal"], v["ts"], v["value"]) for v in served)
    good = await settled_samples(tmp_path, truth, {key[:3] for key in want})
    stop.set()
    await run
    got = Counter((s.machine_id, s.signal, s.ts, s.value) for s in good)
    assert got == want
    assert len(want) > 5000
    assert collector.connectors[0].health.dead == 0


async def settled_samples(
    folder: Path,
    truth: dict[str, Any],
    want: set[tuple[str, str, int]],
    *,
    only_births_bad: bool = True,
) -> list[Any]:
    """The good samples in the historian, once they have a value at every (machine, signal,
    time) of ``want`` (or after a minute): a count would be reached early when births repeat
    values."""
    historian = SqliteHistorian(folder / "historian.db")
    try:
        for _ in range(300):
            stored = await historian.read_series(PRESSES, truth["start"], truth["end"] + 1)
            good = [s for s in stored if s.quality == Quality.GOOD]
            if want <= {(s.machine_id, s.signal, s.ts) for s in good}:
                break
            await asyncio.sleep(0.2)
    finally:
        await historian.close()
    bad = [s for s in stored if s.quality != Quality.GOOD]
    if only_births_bad:
        assert {s.ts for s in bad} <= {truth["start"]}, "only the births' nulls at the start"
    return good


class EdgeNode:
    """A hand-driven Sparkplug edge node (group im-shop, node presses, device press-01)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.seq = 0

    def send(
        self,
        kind: str,
        payload: Payload,
        device: str | None = "press-01",
        qos: int = 1,
        *,
        wait: bool = True,
    ) -> None:
        topic = f"spBv1.0/im-shop/{kind}/presses" + (f"/{device}" if device else "")
        self.recorder.publish(topic, encode(payload), qos, wait=wait)

    def nbirth(self, bd_seq: int, qos: int = 1) -> None:
        self.seq = 1
        self.send("NBIRTH", Payload(T0, [
            Metric(name=BDSEQ, datatype=DataType.INT64, value=bd_seq),
            Metric(name=REBIRTH, datatype=DataType.BOOLEAN, value=False),
        ], 0), device=None, qos=qos)  # fmt: skip

    def dbirth(self, qos: int = 1) -> None:
        self.send("DBIRTH", Payload(T0, [
            Metric(name="melt_temp", alias=8, timestamp=T0, datatype=DataType.DOUBLE, value=230.0),
            Metric(name="shots", alias=3, timestamp=T0, datatype=DataType.UINT32, value=100),
        ], self._next()), qos=qos)  # fmt: skip

    def ddata(
        self, ms: int, temp: float, *, alias: int = 8, skip: int = 0, wait: bool = True
    ) -> None:
        self.seq = (self.seq + skip) % 256
        metric = Metric(alias=alias, timestamp=ms, datatype=DataType.DOUBLE, value=temp,
                        send_datatype=False)  # fmt: skip
        self.send("DDATA", Payload(ms, [metric], self._next()), wait=wait)

    def ndeath(self, bd_seq: int) -> None:
        metric = Metric(name=BDSEQ, datatype=DataType.INT64, value=bd_seq)
        self.send("NDEATH", Payload(None, [metric]), device=None)

    def rebirth_requests(self) -> list[Payload]:
        found = [decode(p) for t, p in self.recorder.messages if t.endswith("/NCMD/presses")]
        assert all(m.metrics[0].name == REBIRTH and m.metrics[0].value is True for m in found)
        return found

    def _next(self) -> int:
        seq, self.seq = self.seq, (self.seq + 1) % 256
        return seq


@pytest.fixture
async def host(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> AsyncIterator[tuple[Collector, EdgeNode]]:
    """A collector asking for rebirths (reorder timeout 0.5 s) and an edge node to drive."""
    plant = load_plant(sparkplug_plant(tmp_path, mosquitto_server.url, request_rebirth=True,
                                       reorder_timeout="0.5s"))  # fmt: skip
    collector = Collector(plant)
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not collector.connectors[0].health.connected:
        await asyncio.sleep(0.1)
    with Recorder(mosquitto_server.url, "spBv1.0/im-shop/NCMD/#") as recorder:
        yield collector, EdgeNode(recorder)
    stop.set()
    await run


async def until(check: Any, timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await check() if asyncio.iscoroutinefunction(check) else check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached within {timeout_s} s: {check}")


async def forwarded(collector: Collector) -> None:
    """Until the outbox is empty: what the connector stored so far is in the historian (the
    forwarder delivers it from another process)."""

    async def empty() -> bool:
        return (await collector.outbox.stats()).samples == 0

    await until(empty)


async def letters(collector: Collector) -> list[UnreadableMessage]:
    dead = UnreadableMessages(collector.plant.outbox.path.with_suffix(".dead.db"))
    try:
        return await dead.recent(100)
    finally:
        await dead.close()


async def stored(collector: Collector, signal: str) -> list[tuple[int, Any, Quality]]:
    historian = SqliteHistorian(collector.plant.outbox.path.parent / "historian.db")
    try:
        samples = await historian.read_series(["press-01"], 0, 2**62)
    finally:
        await historian.close()
    return [(s.ts, s.value, s.quality) for s in samples if s.signal == signal]


async def test_data_before_birth_waits_for_it_and_an_unknown_alias_is_dead_lettered(
    host: tuple[Collector, EdgeNode],
) -> None:
    """Each asks for a rebirth; the data that came first is read once its birth says what it
    is (a host that missed a birth loses nothing)."""
    collector, node = host
    node.ddata(T0 + 1, 231.0)
    await until(lambda: len(node.rebirth_requests()) == 1)
    node.nbirth(bd_seq=4)
    node.dbirth()
    node.ddata(T0 + 2, 232.0)
    node.ddata(T0 + 3, 233.0, alias=99)
    await until(lambda: len(node.rebirth_requests()) == 2)
    reasons = [d.reason for d in await letters(collector)]
    assert reasons == ["unknown metric alias 99"]
    await forwarded(collector)
    temps = await stored(collector, "melt_temp")
    assert [(ts, v) for ts, v, _ in temps] == [
        (T0 * 10**6, 230.0), ((T0 + 1) * 10**6, 231.0), ((T0 + 2) * 10**6, 232.0)
    ]  # fmt: skip
    assert collector.connectors[0].rebirths_requested == 2


async def test_data_waiting_beyond_the_receive_window_asks_again_for_the_birth_it_needs(
    host: tuple[Collector, EdgeNode],
) -> None:
    """More DATA than the broker may send unacknowledged, before any birth: the first rebirth
    request goes unanswered (the edge node was still reconnecting), and the parked messages
    hold the window, so no new DATA comes to ask again. The collector asks again itself, and
    nothing is dead-lettered."""
    collector, node = host
    count = RECEIVE_MAXIMUM + 2000
    node.seq = 7
    for n in range(1, count + 1):
        node.ddata(T0 + n, float(n), wait=False)
    await until(lambda: len(node.rebirth_requests()) == 1)  # unanswered
    health = collector.connectors[0].health
    assert 0 < health.parked <= RECEIVE_MAXIMUM, "held, unacknowledged, within the window"
    await until(lambda: len(node.rebirth_requests()) == 2, timeout_s=30.0)
    node.nbirth(bd_seq=1, qos=0)  # as the specification sends births: QoS 1 would queue them
    node.dbirth(qos=0)  # behind the DATA the parked messages hold back

    async def all_stored() -> bool:
        return len(await stored(collector, "melt_temp")) == count + 1

    await until(all_stored, timeout_s=30.0)
    assert await letters(collector) == [] and health.parked == 0


async def test_a_seq_gap_asks_for_rebirth_only_after_the_reorder_timeout(
    host: tuple[Collector, EdgeNode],
) -> None:
    collector, node = host
    node.nbirth(bd_seq=0)
    node.dbirth()
    node.ddata(T0 + 1, 231.0, skip=2)  # seq 2 and 3 are never sent
    await asyncio.sleep(0.2)
    assert node.rebirth_requests() == [], "within the reorder timeout"
    await until(lambda: len(node.rebirth_requests()) == 1)
    assert collector.connectors[0].sparkplug.host.gaps == 1  # type: ignore[union-attr]
    await until(lambda: collector.connectors[0].health.messages >= 3)
    await forwarded(collector)  # a loaded forwarder had not delivered them yet
    assert await stored(collector, "melt_temp") == [
        (T0 * 10**6, 230.0, Quality.GOOD),
        ((T0 + 1) * 10**6, 231.0, Quality.GOOD),
    ], "the message after the gap is still stored: its values carry their own time"


async def test_only_the_ndeath_of_the_current_session_takes_the_machine_offline(
    host: tuple[Collector, EdgeNode],
) -> None:
    collector, node = host
    node.nbirth(bd_seq=5)
    node.dbirth()
    node.ndeath(bd_seq=4)  # the will of the previous session, arriving late
    node.ddata(T0 + 1000, 231.0)
    await until(lambda: collector.connectors[0].health.messages >= 4)
    await forwarded(collector)
    assert [q for _, _, q in await stored(collector, "melt_temp")] == [Quality.GOOD] * 2
    node.ndeath(bd_seq=5)
    await until(lambda: collector.connectors[0].health.messages >= 5)

    async def offline() -> bool:
        for signal in SIGNALS:
            samples = await stored(collector, signal)
            if not samples or samples[-1][2] != Quality.BAD:
                return False
        return True

    await until(offline)
    shots = await stored(collector, "shots")
    assert shots[0] == (T0 * 10**6, 100, Quality.GOOD)
    assert shots[-1][1:] == (None, Quality.BAD) and shots[-1][0] >= (T0 + 1000) * 10**6
    assert node.rebirth_requests() == [] and await letters(collector) == []


async def test_a_dropped_edge_node_is_marked_offline_until_it_shows_it_kept_observing(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    """Each dropped session marks every metric offline; the births and the history the node
    forwards afterwards show it kept observing, so each mark is lifted by the value that held
    (no gap in the machine's states), and no served value is lost."""
    chaos = tmp_path / "chaos.yaml"
    chaos.write_text("mqtt: {disconnects_per_hour: 2, disconnect_downtime: 0.3}\n")
    collector = Collector(load_plant(sparkplug_plant(tmp_path, mosquitto_server.url)))
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not collector.connectors[0].health.connected:
        await asyncio.sleep(0.1)
    # at 450x, not 900x: a reconnection slowed by a second pytest worker overlapped the next
    # scheduled drop, which the simulator then skipped ("already away")
    simulator = await simulate(mosquitto_server.url, tmp_path, "--qos", "0", "--speed", "450",
                               "--duration", "3h", "--seed", "6", "--chaos", str(chaos),
                               fmt="sparkplug")  # fmt: skip
    served, truth = await finished(simulator, tmp_path)
    drops = [e for e in truth["chaos"] if e["kind"] == "broker_disconnect" and "skipped" not in e]
    served_at = {(v["machine"], v["signal"], v["ts"]): v["value"] for v in served}
    await settled_samples(tmp_path, truth, set(served_at), only_births_bad=False)
    stop.set()
    await run
    historian = SqliteHistorian(tmp_path / "historian.db")
    stored = await historian.read_series(PRESSES, truth["start"], 2**62)
    await historian.close()
    good = {(s.machine_id, s.signal, s.ts): s.value for s in stored if s.quality == Quality.GOOD}
    assert {k: good.get(k) for k in served_at} == served_at, "every served value, unchanged"
    series: dict[tuple[str, str], list[Any]] = {}
    for sample in stored:
        series.setdefault((sample.machine_id, sample.signal), []).append(sample)
    assert len(drops) >= 3 and len(series) == len(PRESSES) * len(SIGNALS)
    for key, samples in series.items():
        marks = [s.ts for s in samples if s.quality != Quality.GOOD and s.ts > truth["start"]]
        assert marks == [], f"{key}: every mark lifted"
        lifted = [s for s in samples if (*key, s.ts) not in served_at and s.ts > truth["start"]]
        assert len(lifted) == len(drops), f"{key}: one mark, lifted, per dropped session"
        for before, sample in itertools.pairwise(samples):
            if (*key, sample.ts) not in served_at and sample.quality == Quality.GOOD:
                last_served = [s for s in samples if s.ts < sample.ts and s.quality == Quality.GOOD]
                assert sample.value == last_served[-1].value, "a birth repeats the current value"
                assert before.quality != Quality.GOOD or before.ts < sample.ts


async def test_plain_data_stores_its_signals_skips_other_metrics_and_refuses_a_wrong_type(
    host: tuple[Collector, EdgeNode],
) -> None:
    """DATA of aliased metrics (the plain path): a metric that is no signal of the machine is
    skipped, a value its signal's type cannot take is dead-lettered with the reason, and the
    message's other values are stored."""
    collector, node = host
    node.nbirth(bd_seq=1)
    node.send("DBIRTH", Payload(T0, [
        Metric(name="melt_temp", alias=8, datatype=DataType.DOUBLE, value=230.0),
        Metric(name="shots", alias=3, datatype=DataType.UINT32, value=100),
        Metric(name="gateway_uptime", alias=50, datatype=DataType.DOUBLE, value=1.0),
    ], node._next()))  # fmt: skip
    node.send("DDATA", Payload(T0 + 1, [
        Metric(alias=8, datatype=DataType.DOUBLE, value=231.0, send_datatype=False),
        Metric(alias=3, datatype=DataType.UINT32, value=101, send_datatype=False),
        Metric(alias=50, datatype=DataType.DOUBLE, value=2.0, send_datatype=False),
    ], node._next()))  # fmt: skip
    node.send("DDATA", Payload(T0 + 2, [
        Metric(alias=8, datatype=DataType.STRING, value="hot"),
        Metric(alias=3, datatype=DataType.UINT32, value=102, send_datatype=False),
    ], node._next()))  # fmt: skip

    async def shots_stored() -> bool:
        return len(await stored(collector, "shots")) == 3

    await until(shots_stored)
    assert [(ts, v) for ts, v, _ in await stored(collector, "shots")] == [
        (T0 * 10**6, 100), ((T0 + 1) * 10**6, 101), ((T0 + 2) * 10**6, 102)]  # fmt: skip
    assert [v for _, v, _ in await stored(collector, "melt_temp")] == [230.0, 231.0]
    assert [d.reason for d in await letters(collector)] == [
        "melt_temp: str is not a number (the signal is float)"]  # fmt: skip
