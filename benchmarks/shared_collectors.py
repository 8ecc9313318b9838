"""How collectors in one MQTT shared-subscription group scale across processes.

A plant splits one MQTT source (``shared_group``) across 1, 2 and 4 collectors (``collectors:``
in plant.yaml, each process run as ``smkit collect --collector ID`` would run it: connector,
own outbox, forwarder, the shared SQLite historian). Their persistent sessions are opened at a
private Mosquitto, which then holds --messages QoS 1 JSON messages published by three publisher
processes, dealt round-robin to the group's sessions; then every collector process starts at
once and the drain is timed until the historian holds every sample. Printed per size: messages/s
taken together, the speed-up over one collector, each process's share and CPU, the broker's
CPU, and the check that every message was taken by exactly one collector and stored once.

On this machine's two cores the collectors, the broker and SQLite share the same two cores, so
the figures show where one machine stops, not where the design does (docs/scaling.md).

Usage: python benchmarks/shared_collectors.py [--messages 200000] [--sizes 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))

from mqtt_ingest import Session, fill, json_messages, open_session, plant_text

from smkit.collector import Collector
from smkit.localservers import LocalMosquitto
from smkit.plant.loader import parse_plant
from smkit.plant.model import Plant

GROUP = "collectors"
PUBLISHERS = 3


def split_plant(folder: Path, port: int, size: int) -> Plant:
    """The benchmark plant with its broker source shared by ``size`` collectors."""
    document = yaml.safe_load(plant_text("json", f"mqtt://127.0.0.1:{port}", f"scale{size}", "5"))
    document["sources"][0]["shared_group"] = f"{GROUP}{size}"
    document["collectors"] = [{"id": f"c{k}", "sources": ["broker"]} for k in range(size)]
    document["historian"] = {"kind": "sqlite", "path": str(folder / "historian.db")}
    document["outbox"] = {"path": str(folder / "outbox.db")}
    return parse_plant(yaml.safe_dump(document))


def collect(plant: Plant, collector_id: str, go: Any, finish: Any, result: Any) -> None:
    """One collector process: ready, wait for ``go``, collect until ``finish``."""

    async def main() -> None:
        collector = Collector(plant.for_collector(collector_id), flush_s=30.0)
        stop = asyncio.Event()
        go.wait()
        cpu = _cpu()
        running = asyncio.create_task(collector.run(stop))
        while not finish.is_set():
            await asyncio.sleep(0.05)
        stop.set()
        await running
        health = collector.connectors[0].health
        result.put((collector_id, health.messages, health.samples, _cpu() - cpu))

    asyncio.run(main())


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def stored(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM samples").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def broker_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(port: int, broker_pid: int, size: int, messages: int) -> float:
    """Fill the group's sessions, drain them with ``size`` collector processes; messages/s."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root)
        plant = split_plant(folder, port, size)
        for collector in plant.collectors:
            source = plant.for_collector(collector.id).sources[0]
            session = Session(port, source.session_client_id, "5")  # type: ignore[union-attr]
            open_session(session, f"$share/{GROUP}{size}/bench/+/+/+/+")
        sent = json_messages(0, messages)
        fill(port, [sent[i::PUBLISHERS] for i in range(PUBLISHERS)])
        go, finish, result = context.Event(), context.Event(), context.Queue()
        processes = [context.Process(target=collect, args=(plant, c.id, go, finish, result))
                     for c in plant.collectors]  # fmt: skip
        for process in processes:
            process.start()
        time.sleep(3.0)  # each has imported smkit and opened its files; none has connected
        broker_before, started = broker_cpu(broker_pid), time.monotonic()
        go.set()
        while stored(folder / "historian.db") < messages:
            if time.monotonic() - started > 600:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        broker_used = broker_cpu(broker_pid) - broker_before
        finish.set()
        reports = sorted(result.get(timeout=120) for _ in processes)
        for process in processes:
            process.join(60)
        held = stored(folder / "historian.db")
    taken = sum(report[1] for report in reports)
    rate = messages / elapsed
    shares = ", ".join(f"{report[1] / messages:.0%} at {100 * report[3] / elapsed:.0f}% CPU"
                       for report in reports)  # fmt: skip
    once = "every message taken once and stored once" if taken == messages == held else (
        f"MISMATCH: {taken:,} taken, {held:,} stored of {messages:,}")  # fmt: skip
    print(f"  {size} collector(s): {rate:>9,.0f} msg/s  ({elapsed:.1f} s; {shares}; broker "
          f"{100 * broker_used / elapsed:.0f}% CPU) {once}")  # fmt: skip
    return rate


def main(options: argparse.Namespace) -> None:
    print(f"shared-subscription collectors: {options.messages:,} JSON messages at QoS 1 "
          f"(MQTT 5) drained from one Mosquitto into one SQLite historian, "
          f"{os.cpu_count()} cores")  # fmt: skip
    with tempfile.TemporaryDirectory() as root:
        broker = LocalMosquitto(Path(root))
        broker.start()
        pid = int(subprocess.check_output(["pgrep", "-f", f"{root}/mosquitto.conf"]).split()[0])
        try:
            rates = {size: measure(broker.port, pid, size, options.messages)
                     for size in options.sizes}  # fmt: skip
        finally:
            broker.stop()
    first = rates[options.sizes[0]]
    print("  speed-up over one collector: " + ", ".join(
        f"{size}: {rate / first:.2f}x" for size, rate in rates.items()))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4])
    main(parser.parse_args())
