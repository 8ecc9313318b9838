"""How many OPC UA value changes per second one collector process takes into the historian.

asyncua servers in other processes (--servers, default 2: one asyncua server process writes
only about 10,000 changes/s, less than a collector takes) hold N Double variables between them
and rewrite them round-robin as fast as they can. Measured in the same run, each for --seconds:

* baseline: a minimal asyncua subscription that only counts notifications (the library's limit);
* smkit: the OPC UA connector into the on-disk outbox, drained by the forwarder into an SQLite
  historian; counted are samples the historian holds at the end. CPU time and peak RSS of this
  process are printed with it.

Targets (issue #4): >= 10,000 changes/s, >= 0.7x the counting baseline, RSS <= 300 MB with 5,000
monitored items (--items 5000).

Usage: python benchmarks/opcua_ingest.py [--items 500] [--seconds 15] [--servers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import resource
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from asyncua import Client, Server, ua

from smkit.connectors.common.bindings import Binding
from smkit.connectors.opcua.connector import OpcUaConnector
from smkit.historian.forwarder import Forwarder
from smkit.historian.outbox import Outbox
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import free_port
from smkit.plant.opcua import OpcUaSource

URI = "urn:smkit:bench"


def serve(endpoint: str, items: int, ready: Any) -> None:
    """The server process: N variables rewritten round-robin, forever."""
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)

    async def main() -> None:
        server = Server()
        await server.init()
        server.set_endpoint(endpoint)
        index = await server.register_namespace(URI)
        folder = await server.nodes.objects.add_folder(index, "Bench")
        nodes = [
            await folder.add_variable(ua.NodeId(f"v{i}", index), f"v{i}", 0.0) for i in range(items)
        ]
        ids = [node.nodeid for node in nodes]
        await server.start()
        ready.set()
        value = 0.0
        while True:
            for node_id in ids:
                value += 1.0
                await server.write_attribute_value(node_id, ua.DataValue(ua.Variant(value)))
            await asyncio.sleep(0)

    asyncio.run(main())


def usage() -> tuple[float, float]:
    """CPU seconds used by this process so far, and its peak RSS in MB."""
    self = resource.getrusage(resource.RUSAGE_SELF)
    return self.ru_utime + self.ru_stime, self.ru_maxrss / 1024


async def counting_baseline(endpoints: list[str], items: int, seconds: float) -> float:
    """Notifications per second bare asyncua subscriptions (one per server) receive."""
    count = 0

    class Count:
        def datachange_notification(self, node: Any, value: Any, data: Any) -> None:
            nonlocal count
            count += 1

    async with contextlib.AsyncExitStack() as stack:
        for endpoint in endpoints:
            client = await stack.enter_async_context(Client(endpoint))
            index = await client.get_namespace_index(URI)
            subscription = await client.create_subscription(100, Count())
            nodes = [client.get_node(ua.NodeId(f"v{i}", index)) for i in range(items)]
            for start in range(0, items, 1000):
                await subscription.subscribe_data_change(nodes[start : start + 1000], queuesize=100)
        await asyncio.sleep(1.0)
        count, started = 0, time.monotonic()
        await asyncio.sleep(seconds)
        return count / (time.monotonic() - started)


async def smkit_pipeline(endpoints: list[str], items: int, seconds: float, folder: Path) -> float:
    """Samples per second the connectors (one per server) get into the SQLite historian
    through the outbox."""
    outbox = Outbox(folder / "outbox.db")
    historian = SqliteHistorian(folder / "historian.db")
    stop = asyncio.Event()
    connectors = []
    for number, endpoint in enumerate(endpoints):
        source = OpcUaSource.model_validate(
            {
                "kind": "opcua",
                "id": f"bench{number}",
                "endpoint": endpoint,
                "subscription": {"publishing_interval": "100ms", "queue_size": 100},
            }
        )
        machine = f"m{number}"
        bindings = [Binding(machine, f"v{i}", "float", f"nsu={URI};s=v{i}") for i in range(items)]
        connectors.append(OpcUaConnector(source, bindings, outbox))
    tasks = [asyncio.create_task(c.run(stop)) for c in connectors]
    tasks.append(asyncio.create_task(Forwarder(outbox, historian).run(stop)))
    while not all(c.health.connected for c in connectors):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    before, started = _stored(folder), time.monotonic()
    await asyncio.sleep(seconds)
    rate = (_stored(folder) - before) / (time.monotonic() - started)
    stop.set()
    await asyncio.gather(*tasks)
    await outbox.close()
    await historian.close()
    return rate


def _stored(folder: Path) -> int:
    with contextlib.closing(sqlite3.connect(folder / "historian.db")) as db:
        try:
            return int(db.execute("SELECT count(*) FROM samples").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def main(items: int, seconds: float, servers: int) -> None:
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    endpoints = [f"opc.tcp://127.0.0.1:{free_port()}" for _ in range(servers)]
    per_server = items // servers
    processes = []
    for endpoint in endpoints:
        ready = multiprocessing.Event()
        process = multiprocessing.Process(
            target=serve, args=(endpoint, per_server, ready), daemon=True
        )
        process.start()
        processes.append((process, ready))
    try:
        for _, ready in processes:
            assert ready.wait(120), "a benchmark server did not start"
        print(f"OPC UA ingest: {per_server * servers} monitored items on {servers} server "
              f"process(es), {seconds:g} s each")  # fmt: skip
        baseline = asyncio.run(counting_baseline(endpoints, per_server, seconds))
        print(f"  baseline: asyncua subscription, counting only   {baseline:>9,.0f} changes/s")
        cpu_before, _ = usage()
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            ours = asyncio.run(smkit_pipeline(endpoints, per_server, seconds, Path(tmp)))
            wall = time.monotonic() - started
        cpu, rss = usage()
        verdict = "meets" if ours >= 10_000 and ours >= 0.7 * baseline else "MISSES"
        print(
            f"  smkit: connector -> outbox -> SQLite historian  {ours:>9,.0f} changes/s"
            f"  ({ours / baseline:.2f}x baseline; {verdict} >= 10,000/s and >= 0.7x)"
        )
        print(
            f"  smkit process: CPU {100 * (cpu - cpu_before) / wall:.0f}% of one core, "
            f"peak RSS {rss:.0f} MB ({'meets' if rss <= 300 else 'MISSES'} <= 300 MB)"
        )
    finally:
        for process, _ in processes:
            process.terminate()
            process.join(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--servers", type=int, default=2)
    arguments = parser.parse_args()
    main(arguments.items, arguments.seconds, arguments.servers)
