"""Samples/s written through the durable outbox into SQLite and into a local influxd.

Each figure is printed next to two baselines measured in the same run, on the same data:

* naive: one INSERT (SQLite) or one HTTP write (InfluxDB) per sample, as a simple collector does;
* raw limit: the same data pre-formatted (rows for SQLite, line protocol for InfluxDB) and sent
  in 5,000-sample batches with no outbox, no formatting and no durability in the timed part.

The outbox path is what smkit runs: the 50 machines are served by 4 connectors (as a plant with
several OPC UA endpoints and brokers is), each putting its machines' samples in batches of 500
(one subscription publish), each batch durable on return; concurrent puts share a commit. The
forwarder drains the outbox into the historian meanwhile; the clock stops when all are stored.

Every figure is the median of ``--repeats`` rounds (3 by default), each run on fresh storage;
a round runs the outbox path and its two baselines one after the other.

Usage: python benchmarks/historian_write.py [--samples N] [--naive N] [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from smkit.core import Backoff, Sample
from smkit.historian import InfluxHistorian, SqliteHistorian
from smkit.historian.forwarder import Forwarder
from smkit.historian.influx_http import InfluxHttp
from smkit.historian.lineprotocol import SampleFormatter
from smkit.historian.outbox import Outbox
from smkit.historian.protocol import Historian
from smkit.historian.sqlite import SCHEMA, insert_rows
from smkit.localservers import LocalInflux
from smkit.plant.model import MachinePlace

RAW_BATCH = 5000
PRODUCER_BATCH = 500  # what one OPC UA publish or a burst of MQTT messages typically brings
CONNECTORS = 4  # concurrent producers, each serving its own share of the machines
SIGNALS = (
    "state",
    "parts_total",
    "parts_reject",
    "spindle_speed",
    "temperature",
    "power",
    "running",
    "program",
)


def machine_data(count: int, machines: int = 50, seed: int = 7) -> list[Sample]:
    """Time-ordered samples as subscriptions deliver them: each signal at its own instant."""
    rng = random.Random(seed)
    start = 1_764_000_000 * 1_000_000_000
    parts = dict.fromkeys(range(machines), 0)
    out: list[Sample] = []
    tick = 0
    while len(out) < count:
        for m in range(machines):
            for signal in SIGNALS:
                ts = start + tick * 1_000_000_000 + rng.randrange(1_000_000_000)
                out.append(Sample(f"m{m:03d}", signal, ts, _value(signal, rng, parts, m)))
        tick += 1
    return sorted(out[:count], key=lambda s: s.ts)


def _value(
    signal: str, rng: random.Random, parts: dict[int, int], machine: int
) -> float | int | bool | str:
    if signal == "parts_total":
        parts[machine] += rng.randrange(3)
        return parts[machine]
    if signal in ("state", "parts_reject"):
        return rng.choice((2, 4, 6, 6, 6))
    if signal == "running":
        return rng.random() < 0.8
    if signal == "program":
        return rng.choice(("O1001", "O1002", "O2040"))
    return round(rng.uniform(20.0, 3000.0), 2)


def places(data: list[Sample]) -> dict[str, MachinePlace]:
    machines = sorted({s.machine_id for s in data})
    return {
        m: MachinePlace(site="hn-mech", area="machining", line=f"line-{i % 4}")
        for i, m in enumerate(machines)
    }


async def through_outbox(data: list[Sample], historian: Historian, folder: Path) -> float:
    """Samples/s from the first put until the forwarder has stored the last sample."""
    outbox = Outbox(folder / f"outbox-{time.monotonic_ns()}.db")
    forwarder = Forwarder(outbox, historian, batch_samples=RAW_BATCH, backoff=Backoff(0.01, 0.1))
    stop = asyncio.Event()
    streams = [
        [s for s in data if int(s.machine_id[1:]) % CONNECTORS == n] for n in range(CONNECTORS)
    ]

    async def connector(stream: list[Sample]) -> None:
        for first in range(0, len(stream), PRODUCER_BATCH):
            await outbox.put(stream[first : first + PRODUCER_BATCH])

    started = time.perf_counter()
    forwarding = asyncio.create_task(forwarder.run(stop))
    await asyncio.gather(*(connector(stream) for stream in streams))
    stop.set()
    await forwarding
    await forwarder.drain()
    elapsed = time.perf_counter() - started
    stats = await outbox.stats()
    assert stats.counters["delivered"] == len(data), stats
    await outbox.close()
    return len(data) / elapsed


async def naive(data: list[Sample], historian: Historian) -> float:
    """Samples/s writing each sample on its own (one INSERT / one HTTP request each)."""
    started = time.perf_counter()
    for sample in data:
        await historian.write_samples([sample])
    return len(data) / (time.perf_counter() - started)


def raw_sqlite(data: list[Sample], path: Path) -> float:
    """Samples/s inserting pre-built rows the historian's way, 5,000 per commit (no outbox)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    series = {key: n for n, key in enumerate(sorted({(s.machine_id, s.signal) for s in data}), 1)}
    db.executemany(
        "INSERT INTO series (id, machine, signal) VALUES (?, ?, ?)",
        [(n, *k) for k, n in series.items()],
    )
    rows = [(series[(s.machine_id, s.signal)], s.ts, s.value, 0, None) for s in data]
    chunks = [rows[first : first + RAW_BATCH] for first in range(0, len(rows), RAW_BATCH)]
    started = time.perf_counter()
    for chunk in chunks:
        db.execute("BEGIN")
        insert_rows(db, chunk)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return len(rows) / elapsed


def raw_influx(data: list[Sample], url: str, database: str) -> float:
    """Samples/s posting pre-formatted line protocol in 5,000-line batches (no outbox)."""
    formatter = SampleFormatter(places(data))
    bodies = [
        "\n".join(formatter.line(s) for s in data[first : first + RAW_BATCH]).encode()
        for first in range(0, len(data), RAW_BATCH)
    ]
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/query", data={"q": f'CREATE DATABASE "{database}"'}).raise_for_status()
        started = time.perf_counter()
        for body in bodies:
            client.post(
                "/write", params={"db": database, "precision": "ns"}, content=body
            ).raise_for_status()
        return len(data) / (time.perf_counter() - started)


Run = Callable[[], Awaitable[float]]


async def measure(paths: dict[str, Run], repeats: int) -> dict[str, float]:
    """The median rate of each path over ``repeats`` rounds; each round runs every path once.

    Interleaving the paths within a round means a ratio compares runs taken close together, so
    the machine slowing down or speeding up between phases does not skew it.
    """
    rates: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, run in paths.items():
            rates[name].append(await run())
    medians = {}
    for name, found in rates.items():
        found.sort()
        medians[name] = found[len(found) // 2]
        spread = f"(runs {', '.join(f'{r:,.0f}' for r in found)})" if repeats > 1 else ""
        print(f"  {name:<44} {medians[name]:>10,.0f} samples/s  {spread}", flush=True)
    return medians


def verdict(label: str, value: float, target: float) -> str:
    outcome = "met" if value >= target else "NOT MET"
    return f"  {label:<44} {value:>12,.2f}   target >= {target:g}: {outcome}"


async def main(count: int, naive_count: int, repeats: int) -> None:
    data = machine_data(count)
    few = data[:naive_count]
    with tempfile.TemporaryDirectory(prefix="smkit-bench-") as tmp:
        folder = Path(tmp)
        with LocalInflux(folder / "influxd") as server:
            names = iter(range(10**6))

            def influx(kind: str) -> InfluxHistorian:
                http = InfluxHttp(server.url, f"bench_{kind}_{next(names)}", timeout_s=60)
                return InfluxHistorian(http, places(data), batch_lines=RAW_BATCH)

            def sqlite() -> SqliteHistorian:
                return SqliteHistorian(folder / f"sqlite-{next(names)}.db")

            print(
                f"historian write benchmark: {count:,} samples of "
                f"{len({s.machine_id for s in data})} machines"
            )
            print("SQLite (embedded default)")
            sq_out, sq_naive, sq_raw = (
                await measure(
                    {
                        "outbox -> SqliteHistorian": lambda: through_outbox(data, sqlite(), folder),
                        f"naive: one INSERT per sample ({naive_count:,})": lambda: naive(
                            few, sqlite()
                        ),
                        "raw limit: pre-built rows, 5,000 per commit": lambda: asyncio.to_thread(
                            raw_sqlite, data, folder / f"raw-{next(names)}.db"
                        ),
                    },
                    repeats,
                )
            ).values()
            version = httpx.get(server.url + "/ping").headers.get("X-Influxdb-Version")
            print(f"InfluxDB {version} (local influxd)")
            ix_out, ix_naive, ix_raw = (
                await measure(
                    {
                        "outbox -> InfluxHistorian": lambda: through_outbox(
                            data, influx("outbox"), folder
                        ),
                        f"naive: one HTTP write per sample ({naive_count:,})": lambda: naive(
                            few, influx("naive")
                        ),
                        "raw limit: pre-formatted LP, 5,000 lines/POST": lambda: asyncio.to_thread(
                            raw_influx, data, server.url, f"bench_raw_{next(names)}"
                        ),
                    },
                    repeats,
                )
            ).values()
    print("Targets")
    print(verdict("SQLite via outbox, samples/s", sq_out, 100_000))
    print(verdict("InfluxDB via outbox, samples/s", ix_out, 80_000))
    print(verdict("SQLite: outbox / naive", sq_out / sq_naive, 50))
    print(verdict("InfluxDB: outbox / naive", ix_out / ix_naive, 50))
    print(verdict("SQLite: outbox / raw limit", sq_out / sq_raw, 0.6))
    print(verdict("InfluxDB: outbox / raw limit", ix_out / ix_raw, 0.6))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400_000)
    parser.add_argument("--naive", type=int, default=2_000)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per figure; the median is reported"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.samples, arguments.naive, arguments.repeats))
