"""The forwarder in a process of its own: it delivers what another process appends to the
outbox, dead-letters refusals, survives being killed with nothing lost, reports its health and
its log to the collector, and drains and ends when asked."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
from functools import partial
from pathlib import Path

import pytest
import yaml

from smkit import collector as collector_module
from smkit.core.sample import Sample
from smkit.historian.forwarder import Forwarder
from smkit.historian.forwarder_process import ForwarderProcess
from smkit.historian.influx import InfluxHistorian
from smkit.historian.influx_http import InfluxHttp
from smkit.historian.outbox import Outbox
from smkit.historian.protocol import Historian
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import free_port
from smkit.plant import load_plant
from tests.historian.test_forwarder import T0, by_identity, fast_forwarder, stored, stream
from tests.plant.test_loader import MINIMAL


def to_sqlite(folder: Path, batch: int) -> tuple[Forwarder, Historian]:
    """The child's forwarder: the outbox and a SQLite historian in ``folder``."""
    historian = SqliteHistorian(folder / "historian.db")
    forwarder = fast_forwarder(Outbox(folder / "outbox.db"), historian, batch=batch)
    forwarder.idle_poll_s = 0.02
    return forwarder, historian


def to_nowhere(folder: Path) -> tuple[Forwarder, Historian]:
    """The child's forwarder, to an InfluxDB that is not there."""
    historian = InfluxHistorian(InfluxHttp(f"http://127.0.0.1:{free_port()}", "x"), {})
    return fast_forwarder(Outbox(folder / "outbox.db"), historian), historian


def children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "smkit-forwarder"]


async def until(condition: object, seconds: float = 60.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_the_child_delivers_what_this_process_appends_and_dead_letters_refusals(
    tmp_path: Path,
) -> None:
    good = stream(3000)
    conflict = Sample("m0", "temp", T0 + 3, "not a number")
    async with (
        Outbox(tmp_path / "outbox.db", trims=False) as outbox,
        ForwarderProcess(partial(to_sqlite, tmp_path, 500)) as forwarder,
    ):
        assert forwarder.pid not in (None, os.getpid())
        stop = asyncio.Event()
        running = asyncio.create_task(forwarder.run(stop))
        for first in range(0, len(good), 100):  # appended while the child delivers
            await outbox.put(good[first : first + 100] + ([conflict] if first == 2000 else []))
        await until(lambda: forwarder.health.delivered == len(good))
        assert forwarder.health.dead_lettered == 1
        stop.set()
        await running
        await forwarder.drain()
        assert children() == [], "drained, the child ended"
        (letter,) = await outbox.dead_letters()
        stats = await outbox.stats()
    assert (stats.samples, stats.bytes) == (0, 0)
    assert stats.counters["delivered"] == len(good) and stats.counters["dead_lettered"] == 1
    assert letter.sample == conflict and "type" in letter.reason
    async with SqliteHistorian(tmp_path / "historian.db") as historian:
        assert await stored(historian, good) == by_identity(good)


async def test_a_killed_child_is_replaced_and_nothing_is_lost_or_counted_twice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    samples = stream(20_000)
    async with Outbox(tmp_path / "outbox.db", trims=False) as outbox:
        for first in range(0, len(samples), 100):
            await outbox.put(samples[first : first + 100])
        async with ForwarderProcess(partial(to_sqlite, tmp_path, 200)) as forwarder:
            stop = asyncio.Event()
            running = asyncio.create_task(forwarder.run(stop))
            await until(lambda: forwarder.health.delivered >= 2000)
            killed = forwarder.pid
            assert killed is not None
            reported = forwarder.health.delivered
            os.kill(killed, signal.SIGKILL)
            await until(lambda: any("process ended" in r.getMessage() for r in caplog.records))
            settled_before = (await outbox.stats()).counters["delivered"]  # by the killed child
            await until(lambda: forwarder.pid not in (None, killed))
            async with asyncio.timeout(60):
                while (await outbox.stats()).samples:
                    await asyncio.sleep(0.05)
            stop.set()
            await running
            await forwarder.drain()
        stats = await outbox.stats()
    assert stats.samples == 0
    assert stats.counters["delivered"] == len(samples), "each settled batch counted once"
    # the health's count goes on from the killed child's last report (which may miss what it
    # settled in its last 20 ms), with all the new child settled: never from 0, never twice
    after = len(samples) - settled_before
    assert reported + after <= forwarder.health.delivered <= len(samples)
    ended = [r for r in caplog.records if "forwarder process ended" in r.getMessage()]
    assert len(ended) == 1 and ended[0].levelno == logging.ERROR
    async with SqliteHistorian(tmp_path / "historian.db") as historian:
        assert await stored(historian, samples) == by_identity(samples)


async def test_the_childs_health_and_log_reach_the_collector_and_closing_ends_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Outbox(tmp_path / "outbox.db", trims=False) as outbox:
        await outbox.put(stream(10))
        async with ForwarderProcess(partial(to_nowhere, tmp_path)) as forwarder:
            stop = asyncio.Event()
            running = asyncio.create_task(forwarder.run(stop))
            await until(lambda: forwarder.health.retries >= 2)
            (child,) = children()
            stop.set()
            await running
        assert not child.is_alive() and children() == []
        assert (await outbox.stats()).samples == 10, "kept for the historian's return"
    assert not forwarder.health.historian_up and "127.0.0.1" in forwarder.health.last_error
    said = [r for r in caplog.records if r.getMessage().startswith("Historian unavailable")]
    assert len(said) == 1 and said[0].name == "smkit.historian.forwarder"


@pytest.mark.parametrize("cores", [1, 2])
async def test_a_collector_forwards_in_a_process_of_its_own_on_two_cores_and_in_its_own_on_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    monkeypatch.setattr(collector_module.os, "sched_getaffinity", lambda _: set(range(cores)))
    document = yaml.safe_load(MINIMAL)
    document.update(outbox={"path": "outbox.db"},
                    historian={"kind": "sqlite", "path": "historian.db"})  # fmt: skip
    (tmp_path / "plant.yaml").write_text(yaml.safe_dump(document))
    made = collector_module.Collector(load_plant(tmp_path / "plant.yaml"))
    assert isinstance(made.forwarder, ForwarderProcess) == (cores > 1)
    samples = stream(1000)
    stop = asyncio.Event()
    run = asyncio.create_task(made.run(stop))
    for first in range(0, len(samples), 10):
        await made.outbox.put(samples[first : first + 10])
    await until(lambda: made.forwarder.health.delivered == len(samples))
    stop.set()
    await run
    health, _ = collector_module.last_health(made.plant, time.time_ns())  # written on stop
    assert health is not None and health["outbox"]["samples"] == 0
    assert health["historian"]["delivered"] == len(samples)
    assert children() == []
    async with SqliteHistorian(tmp_path / "historian.db") as historian:
        assert await stored(historian, samples) == by_identity(samples)
