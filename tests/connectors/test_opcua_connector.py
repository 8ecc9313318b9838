"""The OPC UA connector against the simulator's real asyncua server: faults, security, bad nodes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from smkit.connectors.common.bindings import Binding
from smkit.connectors.opcua import connector as opcua_connector
from smkit.connectors.opcua.connector import OpcUaConnector
from smkit.connectors.opcua.session import (
    SessionEnded,
    ensure_certificate,
    explain,
    subscription_lost,
)
from smkit.core.backoff import Backoff
from smkit.core.sample import Quality, Sample
from smkit.errors import OutboxError
from smkit.localservers import free_port
from smkit.plant.opcua import OpcUaSource
from smkit.simulators.catalog import find_scenario
from smkit.simulators.chaos import ChaosLog
from smkit.simulators.opcua_options import OpcUaOptions
from smkit.simulators.opcua_server import SimulatedOpcUaServer
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.signals import SignalValue, signal_values

NSU = "nsu=urn:smkit:sim:cnc-cell"
BAD_WAITING = 0x80320000  # BadWaitingForInitialData


class Collected:
    """A sink that keeps what it is given (the outbox is tested on its own)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    async def put(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)


@pytest.fixture(scope="module")
def cnc() -> LoadedScenario:
    return find_scenario("cnc-cell")


def bindings(*extra: str) -> list[Binding]:
    signals = [("state", "int", "State"), ("parts_total", "int", "PartsTotal"),
               ("coolant_temp", "float", "CoolantTemp"), ("program", "str", "Program")]  # fmt: skip
    found = [
        Binding(machine, name, kind, f"{NSU};s={machine}.{node}")
        for machine in ("vmc-01", "lathe-01")
        for name, kind, node in signals
    ]
    return found + [Binding("vmc-01", f"extra_{i}", "float", a) for i, a in enumerate(extra)]


def source(endpoint: str, **options: Any) -> OpcUaSource:
    fields = {"kind": "opcua", "id": "cell", "endpoint": endpoint,
              "subscription": {"publishing_interval": "100ms", "queue_size": 1000}}  # fmt: skip
    return OpcUaSource.model_validate(
        {**fields, **options}, context={"base_dir": options.get("_base")}
    )


@asynccontextmanager
async def running(connector: OpcUaConnector) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(connector.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def until(condition: Any, limit_s: float = 15.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit_s, "timed out"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def first_hour(cnc: LoadedScenario) -> list[SignalValue]:
    return list(signal_values(cnc.scenario, cnc.plant, simulate(cnc, 2, 3600)))


WATCHED = {"state", "parts_total", "coolant_temp", "program"}


def watched(values: Sequence[SignalValue]) -> set[tuple[str, str, int]]:
    """The (machine, signal, ts) of values the connector's bindings cover."""
    return {(v.machine, v.signal, v.ts) for v in values
            if v.machine in ("vmc-01", "lathe-01") and v.signal in WATCHED}  # fmt: skip


def keys(samples: Sequence[Sample]) -> set[tuple[str, str, int]]:
    """The good samples (a variable without a value yet is a bad sample, kept as such)."""
    return {(s.machine_id, s.signal, s.ts) for s in samples if s.quality is Quality.GOOD}


async def simulated(cnc: LoadedScenario) -> SimulatedOpcUaServer:
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    server = SimulatedOpcUaServer(cnc.plant, "cnc-cell", OpcUaOptions(endpoint), ChaosLog())
    await server.start()
    return server


async def test_a_node_that_does_not_exist_is_reported_and_the_others_are_collected(
    cnc: LoadedScenario,
) -> None:
    server = await simulated(cnc)
    sink = Collected()
    missing, foreign = f"{NSU};s=vmc-01.NoSuchNode", "nsu=urn:elsewhere;s=X"
    chunked = source(server.endpoint, max_nodes_per_call=3)  # 9 items: 3 CreateMonitoredItems
    connector = OpcUaConnector(chunked, bindings(missing, foreign), sink)
    try:
        async with running(connector):
            await until(lambda: connector.health.connected)
            wanted = watched(await server.publish(first_hour(cnc)[:400]))
            await until(lambda: wanted <= keys(sink.samples))
    finally:
        await server.stop()
    assert connector.health.failed_nodes == {
        missing: "BadNodeIdUnknown",
        foreign: "the server has no namespace 'urn:elsewhere'",
    }
    assert keys(sink.samples) == wanted
    waiting = [s for s in sink.samples if s.quality is not Quality.GOOD]
    assert waiting and all(
        s.value is None and s.quality is Quality.BAD and s.status == BAD_WAITING for s in waiting
    ), "a variable without its first value is stored as bad, without a value"


async def test_an_unreachable_endpoint_is_reported_once_and_retried_without_crashing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    connector = OpcUaConnector(
        source(f"opc.tcp://127.0.0.1:{free_port()}"), bindings(), Collected(),
        backoff=Backoff(initial_s=0.1, max_s=0.2),
    )  # fmt: skip
    async with running(connector) as task:
        await until(lambda: connector.health.error is not None)
        await asyncio.sleep(1.0)  # several attempts
        assert not task.done()
    downs = [r for r in caplog.records if r.name == "smkit.opcua" and " down: " in r.message]
    assert len(downs) == 1, "an outage is logged once, not once per attempt"
    assert connector.health.error is not None
    assert "connection refused" in connector.health.error
    assert connector.health.sessions == 0


async def test_after_a_restart_with_shifted_namespaces_collection_resumes_within_10_s(
    cnc: LoadedScenario,
) -> None:
    server = await simulated(cnc)
    sink = Collected()
    connector = OpcUaConnector(source(server.endpoint), bindings(), sink,
                               backoff=Backoff(initial_s=0.5, max_s=2.0))  # fmt: skip
    values = first_hour(cnc)
    try:
        async with running(connector):
            await until(lambda: connector.health.connected)
            before = watched(await server.publish(values[:2000]))
            await until(lambda: before <= keys(sink.samples))
            await server.restart(values[2000].ts, 0.5, shift_namespace=True)
            gap = await server.publish(values[2000:4000])  # shown to nobody: the server is down
            await server.settled()
            replayed = watched(server.take_replayed())
            elapsed = await until(lambda: connector.health.sessions >= 2, 20)
            after = watched(await server.publish(values[4000:6000]))
            await until(lambda: after <= keys(sink.samples))
    finally:
        await server.stop()
    assert gap == [] and server.missed > 0
    assert elapsed < 10.0, f"collection resumed {elapsed:.1f} s after the server was back"
    assert connector.health.sessions >= 2
    assert keys(sink.samples) <= before | replayed | after, "nothing invented for the outage"
    assert watched(values[2000:4000]) - replayed - keys(sink.samples), "the gap stays a gap"


async def secure_server(
    cnc: LoadedScenario, folder: Path, trusted: Path | None = None
) -> SimulatedOpcUaServer:
    options = OpcUaOptions(
        f"opc.tcp://127.0.0.1:{free_port()}", security=("sign-encrypt",),
        users={"collector": "s3cret"}, anonymous=False, pki_dir=folder / "server-pki",
        trusted_clients=trusted,
    )  # fmt: skip
    server = SimulatedOpcUaServer(cnc.plant, "cnc-cell", options, ChaosLog())
    await server.start()
    return server


def secure_source(endpoint: str, folder: Path, **options: Any) -> OpcUaSource:
    secure = {"security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt",
              "pki_dir": str(folder / "collector-pki"), "username": "collector",
              "password_env": "SMKIT_TEST_PASSWORD"}  # fmt: skip
    return source(endpoint, **{**secure, **options})


def retrying(source: OpcUaSource, password: str) -> OpcUaConnector:
    backoff = Backoff(initial_s=0.2, max_s=0.5)
    return OpcUaConnector(source, bindings(), Collected(), password=password, backoff=backoff)


async def first_error(connector: OpcUaConnector) -> str:
    async with running(connector) as task:
        await until(lambda: connector.health.error is not None)
        await asyncio.sleep(0.3)
        assert not task.done(), "the connector keeps retrying"
    assert connector.health.sessions == 0
    return connector.health.error or ""


async def test_sign_and_encrypt_with_a_username_collects(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    server = await secure_server(cnc, tmp_path)
    sink = Collected()
    connector = OpcUaConnector(secure_source(server.endpoint, tmp_path), bindings(), sink,
                               password="s3cret")  # fmt: skip
    try:
        async with running(connector):
            await until(lambda: connector.health.connected)
            wanted = watched(await server.publish(first_hour(cnc)[:300]))
            await until(lambda: wanted <= keys(sink.samples))
    finally:
        await server.stop()
    assert (tmp_path / "collector-pki" / "cell-cert.der").exists(), "made on first use"


async def test_a_wrong_password_is_named_and_retried(cnc: LoadedScenario, tmp_path: Path) -> None:
    server = await secure_server(cnc, tmp_path)
    connector = retrying(secure_source(server.endpoint, tmp_path), "guess")
    try:
        error = await first_error(connector)
    finally:
        await server.stop()
    assert "authentication failed" in error and "BadUserAccessDenied" in error


async def test_an_untrusted_collector_certificate_is_named_and_retried(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted"  # trusts someone else's certificate only
    await ensure_certificate(trusted / "other-cert.der", tmp_path / "other-key.pem", "urn:other")
    server = await secure_server(cnc, tmp_path, trusted=trusted)
    connector = retrying(secure_source(server.endpoint, tmp_path), "s3cret")
    try:
        error = await first_error(connector)
    finally:
        await server.stop()
    assert error == "the server does not trust our certificate (BadCertificateUntrusted)"


async def test_a_security_policy_the_server_does_not_offer_is_named(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    server = await secure_server(cnc, tmp_path)
    wrong = secure_source(server.endpoint, tmp_path, security_mode="Sign")
    connector = retrying(wrong, "s3cret")
    try:
        error = await first_error(connector)
    finally:
        await server.stop()
    assert error.startswith("the server offers no endpoint with Basic256Sha256/Sign:")


async def test_polling_reads_every_node_with_its_source_timestamp(cnc: LoadedScenario) -> None:
    server = await simulated(cnc)
    sink = Collected()
    poller = source(server.endpoint, mode="poll", poll_interval="200ms", max_nodes_per_call=3)
    connector = OpcUaConnector(poller, bindings(), sink)
    try:
        shown = await server.publish(first_hour(cnc)[:500])
        latest = {(v.machine, v.signal): v for v in shown}
        wanted = {(m, s, v.ts) for (m, s), v in latest.items() if m != "vmc-02" and s in WATCHED}
        async with running(connector):
            await until(lambda: wanted <= keys(sink.samples))
            polls = connector.health.samples
            await asyncio.sleep(0.7)
            assert connector.health.samples >= polls + 2 * len(wanted), "polled again and again"
    finally:
        await server.stop()
    good = {(s.machine_id, s.signal): s.value for s in sink.samples if s.quality is Quality.GOOD}
    assert all(good[key[:2]] == latest[key[:2]].value for key in wanted)


async def test_an_absolute_deadband_is_applied_by_the_server(cnc: LoadedScenario) -> None:
    server = await simulated(cnc)
    sink = Collected()
    deadband = {"publishing_interval": "100ms", "queue_size": 1000,
                "deadband": {"kind": "absolute", "value": 0.05}}  # fmt: skip
    temperature = [Binding("vmc-01", "coolant_temp", "float", f"{NSU};s=vmc-01.CoolantTemp")]
    connector = OpcUaConnector(source(server.endpoint, subscription=deadband), temperature, sink)
    try:
        async with running(connector):
            await until(lambda: connector.health.connected)
            await asyncio.sleep(0.3)
            shown = await server.publish(first_hour(cnc))
            temps = [v for v in shown if (v.machine, v.signal) == ("vmc-01", "coolant_temp")]
            await asyncio.sleep(1.5)
    finally:
        await server.stop()
    reported = [s for s in sink.samples if s.quality is Quality.GOOD]
    assert connector.health.failed_nodes == {}
    assert 10 < len(reported) < len(temps) * 0.9, "the filter holds back small changes"
    before = {b.ts: a.value for a, b in pairwise(temps)}
    # asyncua compares each write with the one before it (the specification: with the last
    # value reported). Its check runs in the write's callbacks: on a loaded machine it once
    # failed on the first write (a TypeError inside asyncua, the node's earlier value None)
    # and let one change within the deadband through. What smkit asks of the server is the
    # filter, so: nearly every reported change is beyond the deadband of its predecessor.
    within = [s for s in reported[1:]
              if s.ts in before and abs(s.value - before[s.ts]) <= 0.05]  # type: ignore[operator]  # fmt: skip
    assert len(within) <= len(reported) // 20, within


async def test_a_server_that_refuses_anonymous_logins_says_so_and_names_the_settings(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    server = await secure_server(cnc, tmp_path)
    anonymous = secure_source(server.endpoint, tmp_path, username=None, password_env=None)
    connector = retrying(anonymous, "")
    try:
        error = await first_error(connector)
    finally:
        await server.stop()
    assert error.startswith("the server refuses anonymous logins: set username and password_env")


async def test_a_stopped_server_is_reported_in_words_not_internal_names(
    cnc: LoadedScenario,
) -> None:
    server = await simulated(cnc)
    connector = OpcUaConnector(source(server.endpoint), bindings(), Collected(),
                               backoff=Backoff(initial_s=0.2, max_s=0.5))  # fmt: skip
    async with running(connector):
        await until(lambda: connector.health.connected)
        await server.stop()
        await until(lambda: connector.health.error is not None)
    error = connector.health.error or ""
    assert "_Session" not in error and "subscription status" not in error, error
    if "BadShutdown" in error:
        assert error == "the server stopped or crashed and ended the subscription (BadShutdown)"


def test_each_way_a_subscription_ends_is_said_in_words() -> None:
    place = OpcUaSource.model_validate({"kind": "opcua", "id": "s", "endpoint": "opc.tcp://h:1"})
    for code, words in ((0x800C0000, "stopped or crashed"), (0x800A0000, "keep-alives"),
                        (0x80790000, "no longer knows our subscription")):  # fmt: skip
        said = explain(SessionEnded(subscription_lost(code)), place)
        assert words in said and said.endswith(")") and "_Session" not in said


class FullOutbox(Collected):
    """A sink that refuses, as the outbox does on a full disk, until ``space`` is set (the
    real full disk is tested with MQTT in ``test_full_disk.py``)."""

    def __init__(self) -> None:
        super().__init__()
        self.space = False
        self.refused = 0

    async def put(self, samples: Sequence[Sample]) -> None:
        if not self.space:
            self.refused += 1
            raise OutboxError("outbox: database or disk is full")
        await super().put(samples)


async def test_values_are_held_while_they_cannot_be_stored_and_beyond_the_buffer_counted(
    cnc: LoadedScenario, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(opcua_connector, "HELD", 600)
    server = await simulated(cnc)
    sink = FullOutbox()
    connector = OpcUaConnector(source(server.endpoint), bindings(), sink)
    values = first_hour(cnc)
    try:
        async with running(connector):
            await until(lambda: connector.health.connected)
            published = watched(await server.publish(values[:300]))
            await until(lambda: sink.refused >= 2)
            assert connector.health.storage_error is not None
            sink.space = True
            await until(lambda: published <= keys(sink.samples))  # held, then stored
            assert connector.health.storage_error is None and connector.health.dropped == 0
            sink.space = False
            more = watched(await server.publish(values[300:6000]))
            await until(lambda: connector.health.dropped > 0)
            sink.space = True
            await until(lambda: len(keys(sink.samples) & more) + connector.health.dropped
                        >= len(more))  # fmt: skip
    finally:
        await server.stop()
    stored = keys(sink.samples) & more
    assert len(stored) + connector.health.dropped == len(more)  # each one stored or counted
    assert len(stored) >= 600
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if "newer ones are dropped" in m]) == 1
