"""Collecting a simulated factory over OPC UA into the historian, against a real asyncua server."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from pathlib import Path

from smkit.collector import Collector, health_path
from smkit.historian.influx import InfluxHistorian
from smkit.historian.influx_http import InfluxHttp
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalInflux
from smkit.plant import load_plant
from tests.cli.test_cli import smkit
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
        # speed 300 and 10 s of linger: with a second pytest worker on the other core, a
        # collector running late at 600x lost its session before the served values reached it
        tmp_path,
        "--speed",
        "300",
        "--duration",
        "3h",
        "--linger",
        "10s",
        "--start-after",
        "8s",
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


async def test_an_influxdb_outage_during_collection_loses_nothing(tmp_path: Path) -> None:
    influx = LocalInflux(tmp_path / "influxd")
    influx.start()
    try:
        async with simulator(tmp_path, "--speed", "300", "--duration", "1h", "--linger", "2s",
                             "--start-after", "8s") as (endpoint, process):  # fmt: skip
            historian = {"kind": "influx", "url": influx.url, "database": "cell"}
            plant = load_plant(collecting_plant(tmp_path, endpoint, historian=historian))
            collector = Collector(plant)
            run = asyncio.create_task(collect_while(process, collector))
            await asyncio.sleep(6.0)
            await asyncio.to_thread(influx.stop)
            await asyncio.sleep(4.0)
            waiting = (await collector.outbox.stats()).samples
            await asyncio.to_thread(influx.start)
            await run
        values = served(tmp_path)
        truth = json.loads((tmp_path / "truth.json").read_text())
        reader = InfluxHistorian(InfluxHttp(influx.url, "cell"), plant.places())
        stored = await reader.read_series(MACHINES, truth["start"], truth["end"] + 1)
        await reader.close()
    finally:
        influx.stop()
    assert waiting > 0, "samples waited in the outbox while influxd was down"
    assert collector.forwarder.health.retries > 0
    got = Counter((s.machine_id, s.signal, s.ts, s.value) for s in stored)
    assert got == Counter((v["machine"], v["signal"], v["ts"], v["value"]) for v in values)


async def test_smkit_collect_stops_on_sigterm_and_status_reports_it(tmp_path: Path) -> None:
    async with simulator(tmp_path, "--speed", "60", "--duration", "1h") as (endpoint, _):
        plant_file = collecting_plant(tmp_path, endpoint)
        collect = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smkit", "collect", "--plant", str(plant_file),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        plant = load_plant(plant_file)
        for _ in range(100):
            if health_path(plant).exists():
                document = json.loads(health_path(plant).read_text())
                if document["sources"][0]["samples"] > 0:
                    break
            await asyncio.sleep(0.2)
        status = smkit("status", "--plant", str(plant_file))
        collect.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(collect.communicate(), 30)
    assert "stopped; everything collected" in out.decode()
    assert collect.returncode == 0, err.decode()
    assert "connected to " + endpoint in err.decode() and "Traceback" not in err.decode()
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == "collector: running"
    assert lines[2].split()[:2] == ["cell-opcua", "up"]
    stopped = smkit("status", "--plant", str(plant_file))
    final = json.loads(health_path(plant).read_text())
    assert final["sources"][0]["samples"] > 0 and final["outbox"]["samples"] == 0
    assert "historian: up" in stopped.stdout


async def test_a_collector_killed_and_started_again_reads_the_gap_back_from_history(
    tmp_path: Path,
) -> None:
    """SIGKILL mid-run, started again seconds later (minutes of simulated time): what changed
    meanwhile is read back from the server's history, so every served value is stored."""
    async with simulator(tmp_path, "--speed", "300", "--duration", "1h", "--linger", "10s",
                         "--start-after", "8s") as (endpoint, process):  # fmt: skip
        # at 300x a publish a second late is five simulated minutes
        plant_file = collecting_plant(tmp_path, endpoint, source={"history_overlap": "30m"})
        plant = load_plant(plant_file)
        first = await collector_process(plant_file)
        for _ in range(200):
            if (await stored_count(tmp_path)) > 1000:
                break
            await asyncio.sleep(0.1)
        first.kill()  # SIGKILL: no flush, no goodbye
        await first.wait()
        await asyncio.sleep(3.0)  # 15 simulated minutes
        second = await collector_process(plant_file, log=True)
        await process.wait()
        await asyncio.sleep(2.0)
        second.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(second.communicate(), 60)
    await assert_stored_exactly_what_was_served(tmp_path)
    health = json.loads(health_path(plant).read_text())
    assert health["sources"][0]["backfilled"] > 0, "the gap came from the server's history"
    header, row = smkit("status", "--plant", str(plant_file)).stdout.splitlines()[1:3]
    column = header.index("read back")  # the table's columns are aligned under their headers
    assert row[column:].split()[0] == str(health["sources"][0]["backfilled"])
    assert "read back from the server's history" in err.decode()


async def test_a_first_session_reads_back_what_changed_before_it_connected(
    tmp_path: Path,
) -> None:
    """A collector that never stored a value, connecting once the server has served for a
    while (it was retrying a server still starting): what changed within ``history_overlap``
    before its first live value is read back, so every served value is stored."""
    async with simulator(tmp_path, "--speed", "300", "--duration", "1h", "--linger", "10s",
                         "--start-after", "1s") as (endpoint, process):  # fmt: skip
        await asyncio.sleep(4.0)  # some 20 simulated minutes served before the collector starts
        plant = load_plant(collecting_plant(tmp_path, endpoint,
                                            source={"history_overlap": "30m"}))  # fmt: skip
        await collect_while(process, Collector(plant))
    await assert_stored_exactly_what_was_served(tmp_path)
    health = json.loads(health_path(plant).read_text())
    assert health["sources"][0]["backfilled"] > 0, "the start came from the server's history"


async def assert_stored_exactly_what_was_served(folder: Path) -> None:
    """Assert that the historian in ``folder`` holds every value the simulator served, and
    nothing else."""
    values = served(folder)
    truth = json.loads((folder / "truth.json").read_text())
    historian = SqliteHistorian(folder / "historian.db")
    stored = await historian.read_series(MACHINES, truth["start"], truth["end"] + 1)
    await historian.close()
    got = Counter((s.machine_id, s.signal, s.ts, s.value) for s in stored)
    want = Counter((v["machine"], v["signal"], v["ts"], v["value"]) for v in values)
    missing = want - got
    assert not missing, f"{sum(missing.values())} served values not stored: {list(missing)[:3]}"
    assert set(got) == set(want)


async def collector_process(plant_file: Path, *, log: bool = False) -> asyncio.subprocess.Process:
    """``smkit collect`` in a process of its own (its log kept only if asked for)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", "collect", "--plant", str(plant_file),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if log else asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def stored_count(folder: Path) -> int:
    historian = SqliteHistorian(folder / "historian.db")
    try:
        return len(await historian.read_series(MACHINES, 0, 2**62))
    finally:
        await historian.close()
