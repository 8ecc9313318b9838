"""A collector's first read-back, which begins before its first live value, survives a crash
in the middle of it: against the simulator's real asyncua server, with the values served at
chosen moments."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

from smkit.connectors.opcua.connector import OpcUaConnector
from smkit.core.sample import Sample
from smkit.core.timeunits import NS_PER_S
from smkit.simulators.scenario import LoadedScenario
from tests.connectors.test_opcua_connector import (
    Collected,
    bindings,
    cnc,
    first_hour,
    keys,
    simulated,
    source,
    until,
    watched,
)

__all__ = ["cnc"]  # the module-scoped scenario fixture, shared
OVERLAP_S = 600


class Stuck:
    """A sink whose every write waits for ever, as a collector's does behind a held outbox."""

    def __init__(self) -> None:
        self.asked = 0

    async def put(self, samples: Sequence[Sample]) -> None:
        self.asked += 1
        await asyncio.Event().wait()


async def kill(connector: OpcUaConnector, run: asyncio.Task[None], stop: asyncio.Event) -> None:
    """End ``connector`` as SIGKILL would: what it holds is not stored, and its last words
    (flushing the watermark once every held value is stored) never come. Cancelled until it
    ends: a cancellation that reaches the client library mid-call may be taken as its own."""
    stop.set()
    for _ in range(30):
        run.cancel()  # then again while ``run`` waits for what it holds to be stored
        done, _ = await asyncio.wait({run}, timeout=1.0)
        if done:
            break
    assert run.done(), "the connector did not end"
    for task in asyncio.all_tasks():
        if task.get_coro().__qualname__ == "OpcUaConnector._pump":  # type: ignore[union-attr]
            task.cancel()
    assert connector.health.samples == 0, "nothing was stored before the crash"


async def test_a_collector_killed_during_its_first_read_back_reads_the_same_gap_back(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    """The first half hour is served before the collector starts; it reads back the ten
    minutes before its first live value and is killed before any of it is stored. The second
    half hour is served while it is down. Started again, it reads back from where the first
    read-back began, not from ten minutes before its new first live value."""
    server = await simulated(cnc)
    mark = tmp_path / "cell.watermark.json"
    values = first_hour(cnc)
    half = values[0].ts + 1800 * NS_PER_S
    try:
        served = watched(await server.publish([v for v in values if v.ts < half]))
        first = OpcUaConnector(source(server.endpoint, history_overlap=OVERLAP_S), bindings(),
                               Stuck(), watermark=mark)  # fmt: skip
        stop = asyncio.Event()
        run = asyncio.create_task(first.run(stop))
        await until(lambda: first.health.backfilled > 0)
        await kill(first, run, stop)
        served |= watched(await server.publish([v for v in values if v.ts >= half]))
        sink = Collected()
        second = OpcUaConnector(source(server.endpoint, history_overlap=OVERLAP_S), bindings(),
                                sink, watermark=mark)  # fmt: skip
        stop = asyncio.Event()
        run = asyncio.create_task(second.run(stop))
        gap_began = half - (OVERLAP_S - 60) * NS_PER_S  # a minute's margin for the first live
        wanted = {key for key in served if key[2] >= gap_began}
        with contextlib.suppress(AssertionError):  # timed out: said below
            await until(lambda: wanted <= keys(sink.samples), limit_s=30)
        stop.set()
        await asyncio.wait_for(run, 15)
    finally:
        await server.stop()
    missing = wanted - keys(sink.samples)
    assert not missing, f"{len(missing)} of {len(wanted)} values of the gap not stored"
    assert json.loads(mark.read_text())["newest_ns"] == max(key[2] for key in served)
