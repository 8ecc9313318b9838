"""How many OPC UA value changes per second one collector process takes into the historian.

Server processes (--servers, default 1) hold --items Double variables between them and give
each a new value every --interval-ms, the sampling interval the clients ask for. By default
they are node-opcua servers (benchmarks/node_opcua, from npm: an implementation independent of
the asyncua the collector uses); --server asyncua uses asyncua servers writing as fast as they
can (one writes only about 10,000 changes/s and dropped sessions with BadShutdown at 5,000
items). node-opcua keeps up with 5,000 items at 250 ms and 20,000 at 1 s on one process, using
some 60 % of a core; past that (5,000 items at 100 ms) it slows to a few thousand changes/s.

Measured in the same run, each for --seconds:

* baseline: a minimal asyncua subscription that only counts notifications (the library's limit);
* smkit: the OPC UA connector into the on-disk outbox, drained by the forwarder into an SQLite
  historian; counted are samples the historian holds at the end.

For each, the CPU its process spent per change. On two cores the server needs most of one, so
neither client is pushed to its limit: the server sets the pace, and the client's limit is told
by its CPU per change. The ratio held against the target is the lower of the two rates' ratio
and the two CPU costs' ratio.

Targets: >= 10,000 changes/s, >= 0.7x the counting baseline, RSS <= 300 MB with 5,000 and with
20,000 monitored items.

Usage: python benchmarks/opcua_ingest.py [--items 5000] [--seconds 15] [--servers 1]
       [--interval-ms 250] [--server node|asyncua]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import resource
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
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
NODE_SERVER = Path(__file__).parent / "node_opcua"


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


@dataclass(frozen=True)
class Measured:
    """Changes per second a client took, and the CPU (of one core) its process spent on each."""

    rate: float
    cpu_us: float
    cpu_share: float

    @classmethod
    def of(cls, changes: int, seconds: float, cpu_s: float) -> Measured:
        return cls(changes / seconds, 1e6 * cpu_s / max(changes, 1), cpu_s / seconds)


def usage() -> tuple[float, float]:
    """CPU seconds used by this process so far, and its peak RSS in MB."""
    self = resource.getrusage(resource.RUSAGE_SELF)
    return self.ru_utime + self.ru_stime, self.ru_maxrss / 1024


async def counting_baseline(
    endpoints: list[str], items: int, seconds: float, sampling_ms: float
) -> Measured:
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
                await subscription.subscribe_data_change(
                    nodes[start : start + 1000], queuesize=100, sampling_interval=sampling_ms
                )
        await asyncio.sleep(1.0)
        count, started, cpu = 0, time.monotonic(), usage()[0]
        await asyncio.sleep(seconds)
        return Measured.of(count, time.monotonic() - started, usage()[0] - cpu)


async def smkit_pipeline(
    endpoints: list[str], items: int, seconds: float, sampling_ms: float, folder: Path
) -> Measured:
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
                "subscription": {
                    "publishing_interval": "100ms",
                    "queue_size": 100,
                    "sampling_interval": f"{sampling_ms:g}ms",
                },
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
    before, started, cpu = _stored(folder), time.monotonic(), usage()[0]
    await asyncio.sleep(seconds)
    measured = Measured.of(_stored(folder) - before, time.monotonic() - started, usage()[0] - cpu)
    stop.set()
    await asyncio.gather(*tasks)
    await outbox.close()
    await historian.close()
    return measured


def _stored(folder: Path) -> int:
    with contextlib.closing(sqlite3.connect(folder / "historian.db")) as db:
        try:
            return int(db.execute("SELECT count(*) FROM samples").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def report(name: str, measured: Measured) -> None:
    print(f"  {name:<48} {measured.rate:>9,.0f} changes/s  {measured.cpu_us:>5.0f} us CPU per "
          f"change, {100 * measured.cpu_share:.0f}% of a core")  # fmt: skip


def start_servers(
    kind: str, endpoints: list[str], per_server: int, interval_ms: float
) -> list[Any]:
    """One server process per endpoint, returned once each listens."""
    if kind == "node":
        if not (NODE_SERVER / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_SERVER,
                           check=True)  # fmt: skip
        processes = []
        for endpoint in endpoints:
            port = endpoint.rsplit(":", 1)[1]
            said = Path(tempfile.mkdtemp()) / "server.log"  # node-opcua logs to stdout, later too
            process = subprocess.Popen(["node", "server.js", port, str(per_server),
                                        f"{interval_ms:g}"], cwd=NODE_SERVER,
                                       stdout=said.open("w"), stderr=subprocess.STDOUT)  # fmt: skip
            processes.append((process, said))
        for process, said in processes:
            deadline = time.monotonic() + 120
            while "ready\n" not in said.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"a node-opcua server did not start: see {said}")
                time.sleep(0.1)
        return [process for process, _ in processes]
    started = []
    for endpoint in endpoints:
        ready = multiprocessing.Event()
        child = multiprocessing.Process(
            target=serve, args=(endpoint, per_server, ready), daemon=True
        )
        child.start()
        started.append((child, ready))
    for _, ready in started:
        assert ready.wait(120), "a benchmark server did not start"
    return [child for child, _ in started]


def main(items: int, seconds: float, servers: int, kind: str, interval_ms: float) -> None:
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    endpoints = [f"opc.tcp://127.0.0.1:{free_port()}" for _ in range(servers)]
    per_server = items // servers
    processes = start_servers(kind, endpoints, per_server, interval_ms)
    try:
        name = "node-opcua" if kind == "node" else "asyncua"
        print(f"OPC UA ingest: {per_server * servers} monitored items on {servers} {name} server "
              f"process(es), each value changing and sampled every {interval_ms:g} ms, "
              f"{seconds:g} s each")  # fmt: skip
        baseline = asyncio.run(counting_baseline(endpoints, per_server, seconds, interval_ms))
        report("baseline: asyncua subscription, counting only", baseline)
        with tempfile.TemporaryDirectory() as tmp:
            ours = asyncio.run(
                smkit_pipeline(endpoints, per_server, seconds, interval_ms, Path(tmp))
            )
        report("smkit: connector -> outbox -> SQLite historian", ours)
        rss = usage()[1]
        by_rate, by_cpu = ours.rate / baseline.rate, baseline.cpu_us / ours.cpu_us
        ratio = min(by_rate, by_cpu)
        verdict = "meets" if ours.rate >= 10_000 and ratio >= 0.7 else "MISSES"
        print(f"  {by_rate:.2f}x the baseline's rate, {by_cpu:.2f}x its changes per CPU second "
              "(the lower counts: while the servers set the pace, the CPU per change tells "
              "the client's limit)")  # fmt: skip
        print(f"  {verdict} >= 10,000 changes/s and >= 0.7x; peak RSS {rss:.0f} MB "
              f"({'meets' if rss <= 300 else 'MISSES'} <= 300 MB)")  # fmt: skip
    finally:
        for process in processes:
            process.terminate()
            process.wait(5) if isinstance(process, subprocess.Popen) else process.join(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--server", choices=["node", "asyncua"], default="node")
    parser.add_argument("--interval-ms", type=float, default=250.0,
                        help="how often each value changes (the sampling asked for)")  # fmt: skip
    arguments = parser.parse_args()
    main(arguments.items, arguments.seconds, arguments.servers, arguments.server,
         arguments.interval_ms)  # fmt: skip
