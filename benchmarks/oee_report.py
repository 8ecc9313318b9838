"""What an OEE report costs end to end, next to the cost of only reading its rows.

A generated plant (``support/generated_plant.py``: 50 machines x 30 days, a state change every ~3
minutes, counters every minute, a 1 Hz process value the report must not read) is stored in an
SQLite file, whose hours smkit then packs as its collector does once they are sealed, and in a
real ``influxd``. For three windows (a third, two thirds and all of the
days) it measures, on each backend:

* **end to end**: ``smkit oee report --format json`` in its own process, as a user runs it (best
  of ``--repeat``), and that process's peak RSS;
* **raw read limit**: the same samples fetched with no smkit code (sqlite3 and numpy from
  smkit's hours packed per series, ``support/packed_layout.py``; the same InfluxQL asked over
  HTTP and parsed by the fastest plain parser of each answer format 1.x offers: JSON, CSV,
  MessagePack);
* **sample-object read** (the read path before issue #16): ``read_series`` into ``Sample``
  objects, then columns, in process;
* **engine alone**: ``compute`` on inputs already in memory.

A line fitted through the three sizes gives each path's cost per machine-day and fixed cost.
Targets (issue #16): end-to-end per machine-day >= 0.7x the raw read limit on both backends,
the fixed cost of a run <= 0.3 s over ``smkit version``, peak RSS <= 2 GB. Then the collector's
periodic recomputation (``oee.lookback`` of every machine) is timed in CPU seconds per cycle,
reading columns and reading sample objects.

Usage: python benchmarks/oee_report.py [--machines 50] [--days 30] [--data DIR] [--backend B]
(``--data`` keeps the generated stores there and reuses them on the next run.)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from support.generated_plant import (
    DAY,
    SIGNALS,
    T0,
    Size,
    write_influx,
    write_plant_yaml,
    write_sqlite,
)
from support.packed_layout import packed_raw
from support.raw_reads import FORMATS, InfluxRaw

from smkit.core.columns import Columns, columns_of
from smkit.historian.factory import open_historian
from smkit.historian.protocol import Historian
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalInflux
from smkit.oee.engine import compute
from smkit.oee.inputs import machine_data_of
from smkit.oee.periods import shift_periods
from smkit.oee.runner import run_once, settings_of
from smkit.plant import load_plant
from smkit.plant.model import Plant
from smkit.readiness.live import measure

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = T0 + 6 * 3600 * 10**9
"""Reports begin with the first shift of the first day (06:00)."""
READ = [name for name in SIGNALS if name != "temp"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""A user's Python caches compiled bytecode; this machine's environment turns that off."""


def timed_process(args: Sequence[str]) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS (bytes) and stdout of one command in its own process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, stdout=out, stderr=err, env=ENV)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"{' '.join(args)} failed: {err.read().decode()}")
        return elapsed, usage.ru_maxrss * 1024, out.read()


def local(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, ZONE).replace(tzinfo=None).isoformat()


def end_to_end(plant: Path, days: int, machines: int, repeat: int) -> tuple[float, int]:
    """Best wall time of ``smkit oee report --format json`` over ``days``; peak RSS."""
    command = [sys.executable, "-m", "smkit", "oee", "report", "--plant", str(plant), "--from",
               local(START), "--to", local(START + days * DAY), "--format", "json"]  # fmt: skip
    times, peak = [], 0
    for _ in range(repeat):
        elapsed, rss, out = timed_process(command)
        rows = json.loads(out)
        assert len(rows) == machines * days * 3, f"{len(rows)} rows"
        times.append(elapsed)
        peak = max(peak, rss)
    return min(times), peak


async def read_all(historian: Historian, plant: Plant, days: int, objects: bool) -> Columns:
    """Every machine's OEE signals over ``days`` as columns: read as columns, or as Sample
    objects turned into columns (the path before issue #16)."""
    end = START + days * DAY
    found: Columns = {}
    for _, machine in plant.machines():
        if objects:
            samples = await historian.read_series([machine.id], START, end, READ)
            found = columns_of(samples)
        else:
            found = await historian.read_columns(machine.id, START, end, READ)
    return found


def engine_alone(plant: Plant, columns: dict[str, Columns], days: int) -> float:
    """Seconds to compute every machine's shifts from columns already read."""
    settings = settings_of(plant)
    state_map = plant.state_maps["codes"]
    started = time.perf_counter()
    for _, machine in plant.machines():
        periods = shift_periods(plant, machine.id, START, START + days * DAY)
        data = machine_data_of(machine, state_map, columns[machine.id])
        compute(data, periods, settings, START + days * DAY)
    return time.perf_counter() - started


class SampleObjectReads:
    """A historian whose column reads go through Sample objects, as before issue #16."""

    def __init__(self, historian: Historian) -> None:
        self._historian = historian

    def __getattr__(self, name: str) -> Any:
        return getattr(self._historian, name)

    async def read_columns(
        self, machine: str, start: int, end: int, signals: Sequence[str]
    ) -> Columns:
        return columns_of(await self._historian.read_series([machine], start, end, signals))


async def collector_cycle(plant: Plant, objects: bool) -> float:
    """CPU seconds of one periodic recomputation (``oee.lookback`` of every machine)."""
    async with open_historian(plant) as historian:
        reader: Any = SampleObjectReads(historian) if objects else historian
        now = T0 + round(plant.oee.lookback * 1e9) + 2 * DAY
        started = time.process_time()
        await run_once(plant, reader, now - round(plant.oee.lookback * 1e9), now, horizon_ns=now)
        return time.process_time() - started


async def evidence_seconds(plant: Plant, days: int, objects: bool) -> float:
    """Wall seconds of ``smkit readiness evidence`` over ``days`` (its measure step)."""
    async with open_historian(plant) as historian:
        reader: Any = SampleObjectReads(historian) if objects else historian
        started = time.perf_counter()
        await measure(plant, reader, START + days * DAY, window_days=days)
        return time.perf_counter() - started


def fit(sizes: Sequence[int], seconds: Sequence[float]) -> tuple[float, float]:
    """(seconds per machine-day, fixed seconds) of the least-squares line."""
    slope, intercept = np.polyfit(np.array(sizes, dtype=float), np.array(seconds), 1)
    return float(slope), float(intercept)


def prepare(folder: Path, size: Size) -> tuple[Path, Path, LocalInflux]:
    """The stores (generated unless ``folder`` holds them for this size) and their plants."""
    manifest = folder / "manifest.json"
    wanted = {"machines": size.machines, "days": size.days, "process_hz": size.process_hz}
    fresh = not manifest.exists() or json.loads(manifest.read_text()) != wanted
    if fresh:
        shutil.rmtree(folder / "influxd", ignore_errors=True)
        for old in folder.glob("historian.db*"):
            old.unlink()
    server = LocalInflux(folder / "influxd")
    server.start()
    if fresh:
        began = time.perf_counter()
        count = write_sqlite(folder / "historian.db", size)
        print(f"generated {count:,} samples into SQLite in {time.perf_counter() - began:.0f} s")
        began = time.perf_counter()
        write_influx(server.url, "bench", size)
        print(f"and into influxd in {time.perf_counter() - began:.0f} s", flush=True)
        manifest.write_text(json.dumps(wanted))
    began = time.perf_counter()
    moved = asyncio.run(pack_sealed(folder / "historian.db"))
    if moved:
        elapsed = time.perf_counter() - began
        print(f"smkit packed {moved:,} samples per series and hour in {elapsed:.0f} s "
              f"({moved / elapsed:,.0f} samples/s)")  # fmt: skip
    sqlite_plant = write_plant_yaml(folder, size, {"kind": "sqlite", "path": "historian.db"})
    influx_plant = write_plant_yaml(folder, size, {"kind": "influx", "url": server.url,
                                                   "database": "bench"})  # fmt: skip
    return sqlite_plant, influx_plant, server


async def pack_sealed(path: Path) -> int:
    """Pack every sealed hour of the SQLite historian, as a collector does over time."""
    async with SqliteHistorian(path) as historian:
        return await historian.pack()


def in_process(plant_path: Path, days: int, objects: bool) -> dict[str, float]:
    """Seconds of the column read, the engine alone and (``objects``) the sample-object read."""
    plant = load_plant(plant_path)

    async def reads() -> tuple[dict[str, float], dict[str, Columns]]:
        async with open_historian(plant) as historian:
            columns: dict[str, Columns] = {}
            end = START + days * DAY
            began = time.perf_counter()
            for _, machine in plant.machines():
                columns[machine.id] = await historian.read_columns(machine.id, START, end, READ)
            found = {"columns": time.perf_counter() - began}
            if objects:
                began = time.perf_counter()
                for _, machine in plant.machines():
                    columns_of(await historian.read_series([machine.id], START, end, READ))
                found["objects"] = time.perf_counter() - began
            return found, columns

    found, columns = asyncio.run(reads())
    return {**found, "engine": engine_alone(plant, columns, days)}


def raw_limit(backend: str, plant: Plant, days: int, folder: Path) -> dict[str, float]:
    """Seconds of one raw read, per answer format on InfluxDB."""
    machines = [m.id for _, m in plant.machines()]
    window = (START, START + days * DAY)
    if backend == "sqlite":
        return {"raw sqlite3 + numpy": packed_raw(folder / "historian.db", machines, window, READ)}
    raw = InfluxRaw(plant.historian.url, "bench")  # type: ignore[union-attr]
    try:
        return {f"raw {fmt}": raw.read(fmt, machines, window, sorted(READ))[0] for fmt in FORMATS}
    finally:
        raw.close()


def fixed_cost(plant_path: Path, repeat: int) -> float:
    """Best wall time of a report of one machine-hour, less the best of `smkit version`,
    measured in turns (this VM's speed drifts over minutes)."""
    report = [sys.executable, "-m", "smkit", "oee", "report", "--plant", str(plant_path),
              "--from", local(START), "--to", local(START + 3600 * 10**9), "--machine", "m000",
              "--format", "json"]  # fmt: skip
    version = [sys.executable, "-m", "smkit", "version"]
    pairs = [(timed_process(report)[0], timed_process(version)[0]) for _ in range(repeat + 3)]
    return min(r for r, _ in pairs) - min(v for _, v in pairs)


def measure_size(backend: str, plant_path: Path, days: int, args: tuple[int, int, Path, bool]
                 ) -> tuple[dict[str, float], int]:  # fmt: skip
    """Every path at one size, end to end and the raw read taken in turns, best of each."""
    machines, repeat, folder, first = args
    plant = load_plant(plant_path)
    best_of: dict[str, float] = {}
    peak = 0
    for turn in range(repeat):
        e2e, rss = end_to_end(plant_path, days, machines, 1)
        peak = max(peak, rss)
        found = {"end to end": e2e, **raw_limit(backend, plant, days, folder)}
        if turn == 0:
            found |= in_process(plant_path, days, objects=first)
        for name, seconds in found.items():
            best_of[name] = min(seconds, best_of.get(name, seconds))
    return best_of, peak


def report(size: Size, plants: dict[str, Path], folder: Path, repeat: int) -> None:
    """Measure every path on every backend at three sizes and print the fits and targets."""
    windows = sorted({max(1, size.days // 3), max(1, 2 * size.days // 3), size.days})
    print(f"{size.machines} machines; report windows of {windows} days")
    for backend, plant_path in plants.items():
        fixed = fixed_cost(plant_path, repeat)
        sizes, paths, peak = [], {}, 0
        for days in windows:
            measured, rss = measure_size(
                backend, plant_path, days, (size.machines, repeat, folder, days == windows[0])
            )
            sizes.append(size.machines * days)
            peak = max(peak, rss)
            for name, seconds in measured.items():
                paths.setdefault(name, []).append(seconds)
            shown = ", ".join(f"{name} {seconds:.3f} s" for name, seconds in measured.items())
            print(f"  {backend} {size.machines * days:5d} machine-days: {shown}", flush=True)
        _verdict(backend, sizes, paths, fixed, peak)
    for backend, plant_path in plants.items():
        plant = load_plant(plant_path)
        objects = asyncio.run(collector_cycle(plant, objects=True))
        columns = asyncio.run(collector_cycle(plant, objects=False))
        print(f"collector cycle ({plant.oee.lookback / 3600:.0f} h of {size.machines} machines) on "
              f"{backend}: {columns:.2f} s CPU reading columns, {objects:.2f} s reading sample "
              f"objects ({objects / columns:.1f}x)")  # fmt: skip
        objects = asyncio.run(evidence_seconds(plant, size.days, objects=True))
        columns = asyncio.run(evidence_seconds(plant, size.days, objects=False))
        print(f"readiness evidence ({size.days} days of {size.machines} machines) on {backend}: "
              f"{columns:.2f} s reading columns, {objects:.2f} s reading sample objects "
              f"({objects / columns:.1f}x)", flush=True)  # fmt: skip


def _verdict(backend: str, sizes: list[int], paths: dict[str, list[float]], fixed: float,
             peak: int) -> None:  # fmt: skip
    fits = {name: fit(sizes[: len(seconds)], seconds) for name, seconds in paths.items()
            if len(seconds) > 1}  # fmt: skip
    raw_name = min((n for n in fits if n.startswith("raw ")), key=lambda n: fits[n][0])
    print(f"  {backend}, per machine-day (fitted intercept):")
    for name, (slope, intercept) in fits.items():
        print(f"    {name:28s} {slope * 1e3:8.3f} ms ({intercept:+.3f} s)")
    if "objects" in paths:
        ratio = paths["objects"][0] / paths["columns"][0]
        print(
            f"    reading sample objects (the path before): {ratio:.1f}x the column read at "
            f"{sizes[0]} machine-days"
        )
    for name in fits:
        if name.startswith("raw ") and name != raw_name:
            print(f"    end to end is {fits[name][0] / fits['end to end'][0]:.2f}x {name}")
    ratio = fits[raw_name][0] / fits["end to end"][0]
    print(
        f"  {backend}: end to end is {ratio:.2f}x the raw limit ({raw_name}; target >= 0.7), "
        f"fixed cost {fixed:.3f} s over `smkit version` (target <= 0.3), "
        f"peak RSS {peak / 2**30:.2f} GB (target <= 2)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="keep the generated stores here")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "influx"],
        action="append",
        help="only this backend (repeatable; default: both)",
    )
    args = parser.parse_args()
    size = Size(args.machines, args.days)
    folder = args.data or Path(tempfile.mkdtemp(prefix="smkit-oee-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    sqlite_plant, influx_plant, server = prepare(folder, size)
    try:
        plants = {"sqlite": sqlite_plant, "influx": influx_plant}
        chosen = {name: path for name, path in plants.items() if name in (args.backend or plants)}
        report(size, chosen, folder, args.repeat)
    finally:
        server.stop()
        if args.data is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
