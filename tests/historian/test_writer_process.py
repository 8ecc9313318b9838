"""The historian writer process: what a forwarder writes through it is stored, refusals come
back as the historian's own errors, a killed child loses nothing, and closing stops it."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from functools import partial
from pathlib import Path

from smkit.core.sample import Sample
from smkit.historian.outbox import Outbox
from smkit.historian.sqlite import SqliteHistorian
from smkit.historian.writer_process import WriterProcess
from tests.historian.test_forwarder import T0, by_identity, fast_forwarder, stored, stream


def writer_children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "smkit-historian-writer"]


async def test_a_forwarder_writing_through_the_child_stores_all_and_dead_letters_refusals(
    tmp_path: Path,
) -> None:
    path = tmp_path / "historian.db"
    good = stream(3000)
    conflict = Sample("m0", "temp", T0 + 3, "not a number")
    async with Outbox(tmp_path / "outbox.db") as outbox:
        await outbox.put([*good[:2000], conflict, *good[2000:]])
        async with WriterProcess(partial(SqliteHistorian, path)) as writer:
            assert writer.pid is not None and writer.pid != os.getpid()
            await fast_forwarder(outbox, writer, batch=5000).drain()
        (letter,) = await outbox.dead_letters()
        assert (await outbox.stats()).samples == 0
    assert letter.sample == conflict and "type" in letter.reason
    async with SqliteHistorian(path) as historian:
        assert await stored(historian, good) == by_identity(good)


async def test_a_child_killed_mid_stream_is_replaced_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "historian.db"
    samples = stream(20_000)
    async with Outbox(tmp_path / "outbox.db") as outbox:
        for first in range(0, len(samples), 100):
            await outbox.put(samples[first : first + 100])
        async with WriterProcess(partial(SqliteHistorian, path)) as writer:
            forwarder = fast_forwarder(outbox, writer, batch=500)
            stop = asyncio.Event()
            running = asyncio.create_task(forwarder.run(stop))
            while forwarder.health.delivered < 2000:
                await asyncio.sleep(0.005)
            killed = writer.pid
            assert killed is not None
            os.kill(killed, signal.SIGKILL)
            async with asyncio.timeout(60):
                while forwarder.health.delivered < len(samples):
                    await asyncio.sleep(0.02)
            assert writer.pid not in (None, killed), "a new child took over"
            stop.set()
            await running
        assert forwarder.health.retries >= 1, "the lost child was noticed"
    async with SqliteHistorian(path) as historian:
        assert await stored(historian, samples) == by_identity(samples)


async def test_closing_lets_the_child_finish_and_exit_by_itself(tmp_path: Path) -> None:
    async with WriterProcess(partial(SqliteHistorian, tmp_path / "historian.db")) as writer:
        await writer.write_samples(stream(100))
        (child,) = writer_children()
    assert not child.is_alive() and child.exitcode == 0
    assert writer.pid is None and writer_children() == []
