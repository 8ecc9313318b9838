"""Outbox → historian delivery against real storage: refusals, 413 splits, outages, kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from smkit.core import Backoff, Sample
from smkit.historian import Historian, InfluxHistorian
from smkit.historian.forwarder import Forwarder
from smkit.historian.influx_http import InfluxHttp
from smkit.historian.outbox import Outbox
from smkit.historian.protocol import SampleWriter
from smkit.localservers import LocalInflux
from tests.historian import collector_process

S = 1_000_000_000
T0 = 1_764_000_000 * S


def stream(count: int, first: int = 0, machines: int = 5) -> list[Sample]:
    """Realistic-looking samples: several machines, counters and temperatures, unique identities."""
    out = []
    for n in range(first, first + count):
        machine = f"m{n % machines}"
        out.append(
            Sample(
                machine, "parts" if n % 2 else "temp", T0 + n * 1000, n if n % 2 else 20.0 + n / 8
            )
        )
    return out


def fast_forwarder(outbox: Outbox, historian: SampleWriter, batch: int = 1000) -> Forwarder:
    return Forwarder(outbox, historian, batch_samples=batch, backoff=Backoff(0.02, 0.2))


async def stored(historian: Historian, written: list[Sample]) -> list[Sample]:
    machines = sorted({s.machine_id for s in written})
    return await historian.read_series(
        machines, min(s.ts for s in written), max(s.ts for s in written) + 1
    )


def by_identity(samples: list[Sample]) -> list[Sample]:
    return sorted(samples, key=lambda s: (s.machine_id, s.signal, s.ts))


async def test_everything_put_is_stored_once(historian: Historian, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    written = stream(12_000)
    for first in range(0, len(written), 700):
        await outbox.put(written[first : first + 700])
        await outbox.put(written[first : first + 50])  # a producer replaying: harmless
    await fast_forwarder(outbox, historian).drain()
    assert await stored(historian, written) == by_identity(written)
    stats = await outbox.stats()
    assert stats.batches == 0 and stats.counters["dead_lettered"] == 0
    await outbox.close()


async def test_refused_samples_are_dead_lettered_and_the_rest_delivered(
    historian: Historian, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    good = stream(2000)
    poison = [Sample("bad\\machine", "temp", T0 + 7, 1.0), Sample("m1", "bad\nsignal", T0 + 8, 2.0)]
    await outbox.put(good[:1000] + poison[:1] + good[1000:1500] + poison[1:] + good[1500:])
    forwarder = fast_forwarder(outbox, historian, batch=5000)
    await forwarder.drain()
    assert await stored(historian, good) == by_identity(good)
    letters = await outbox.dead_letters()
    assert sorted(letter.sample for letter in letters) == sorted(poison)
    assert all("backslash or control character" in letter.reason for letter in letters)
    assert forwarder.health.dead_lettered == 2 and forwarder.health.delivered == 2000
    await outbox.close()


async def test_type_conflicts_are_dead_lettered_with_the_reason(
    historian: Historian, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    good = stream(3000)
    conflict = Sample("m0", "temp", T0 + 3, "not a number")
    await outbox.put([*good[:2000], conflict, *good[2000:]])
    await fast_forwarder(outbox, historian, batch=5000).drain()
    assert await stored(historian, good) == by_identity(good)
    (letter,) = await outbox.dead_letters()
    assert letter.sample == conflict and "field type conflict" in letter.reason
    await outbox.close()


async def test_requests_too_large_for_the_server_are_split(tmp_path: Path) -> None:
    with LocalInflux(tmp_path / "influxd", max_body_size=20_000) as server:
        historian = InfluxHistorian(InfluxHttp(server.url, "split"), {}, batch_lines=5000)
        outbox = Outbox(tmp_path / "o.db")
        written = stream(5000)
        await outbox.put(written)
        forwarder = fast_forwarder(outbox, historian, batch=5000)
        await forwarder.drain()
        assert await stored(historian, written) == by_identity(written)
        assert forwarder.health.dead_lettered == 0
        await outbox.close()
        await historian.close()


async def test_influxd_stopped_mid_stream_loses_nothing(tmp_path: Path) -> None:
    server = LocalInflux(tmp_path / "influxd")
    server.start()
    historian = InfluxHistorian(InfluxHttp(server.url, "outage"), {}, batch_lines=1000)
    outbox = Outbox(tmp_path / "o.db")
    forwarder = fast_forwarder(outbox, historian)
    stop = asyncio.Event()
    forwarding = asyncio.create_task(forwarder.run(stop))
    written = stream(30_000)
    for number, first in enumerate(range(0, len(written), 500)):
        await outbox.put(written[first : first + 500])
        await asyncio.sleep(0.02)
        if number == 15:
            await asyncio.to_thread(server.stop)
        if number == 45:
            await asyncio.sleep(1.0)
            await asyncio.to_thread(server.start)
    stop.set()
    await forwarding
    await forwarder.drain()
    assert forwarder.health.retries > 0, "the outage was never noticed"
    assert forwarder.health.historian_up
    assert await stored(historian, written) == by_identity(written)
    await outbox.close()
    await historian.close()
    server.stop()


async def test_a_collector_killed_with_sigkill_loses_nothing_it_accepted(
    influx_server: LocalInflux, tmp_path: Path
) -> None:
    database = f"kill_{uuid.uuid4().hex[:8]}"
    path = tmp_path / "outbox.db"
    with subprocess.Popen(
        [sys.executable, collector_process.__file__, str(path), influx_server.url, database],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    ) as process:
        assert process.stdout is not None
        acknowledged = [int(process.stdout.readline()) for _ in range(40)]
        os.kill(process.pid, signal.SIGKILL)
        acknowledged += [int(line) for line in process.stdout.read().split()]
    assert process.returncode == -signal.SIGKILL

    historian = InfluxHistorian(InfluxHttp(influx_server.url, database), {})
    outbox = Outbox(path)
    await fast_forwarder(outbox, historian).drain()
    accepted = [s for number in acknowledged for s in collector_process.batch(number)]
    everything = await stored(historian, accepted)
    assert set(accepted) <= set(everything)
    assert len(everything) == len(set(everything))
    await outbox.close()
    await historian.close()
