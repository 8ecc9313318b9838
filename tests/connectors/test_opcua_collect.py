"""Collecting a simulated factory over OPC UA into the historian, against a real asyncua server."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from smkit.collector import Collector, health_path
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import load_plant
from tests.connectors.opcua_helpers import collecting_plant, served, simulator

MACHINES = ["vmc-01", "vmc-02", "lathe-01"]


async def collect_while(process: asyncio.subprocess.Process, collector: Collector) -> None:
    """Run the collector until the simulator process has finished, plus a second."""
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    await process.wait()
    await asyncio.sleep(1.0)
    stop.set()
    await run


async def test_every_served_value_is_stored_once_with_its_timestamp_and_type(
    tmp_path: Path,
) -> None:
    async with simulator(
        tmp_path, "--speed", "600", "--duration", "3h", "--linger", "2s", "--start-after", "4s"
    ) as (
        endpoint,
        process,
    ):
        plant = load_plant(collecting_plant(tmp_path, endpoint))
        await collect_while(process, Collector(plant))
    values = served(tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["served"]["finished"] and len(values) > 20_000
    historian = SqliteHistorian(tmp_path / "historian.db")
    stored = await historian.read_series(MACHINES, truth["start"], truth["end"] + 1)
    await historian.close()
    got = Counter((s.machine_id, s.signal, s.ts, s.value, type(s.value)) for s in stored)
    want = Counter(
        (v["machine"], v["signal"], v["ts"], v["value"], type(v["value"])) for v in values
    )
    missing = want - got
    assert not missing, (
        f"{sum(missing.values())} served values not stored, e.g. {list(missing)[:3]}"
    )
    assert set(got) == set(want), "nothing stored that was not served"
    health = json.loads(health_path(plant).read_text())
    source = health["sources"][0]
    assert source["failed_nodes"] == {} and source["samples"] >= len(values)
    assert health["outbox"]["samples"] == 0, "everything reached the historian"
