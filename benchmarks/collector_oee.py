"""The collector's OEE turn for 200 machines: CPU per turn when it recomputes the whole lookback
(as it did) and when it recomputes only what changed (``smkit.oee.schedule``), same run.

A generated plant (``support/generated_plant.py``: 200 machines in 10 lines, the last two days up
to now, a state change every ~3 minutes, counters every minute) in SQLite. Before each measured
turn, every machine gets what five minutes of collecting bring (a counter sample a minute, a
state), as in a running plant. Measured: CPU seconds of the process (``time.process_time``) and
wall seconds per turn, and records written.

Usage: python benchmarks/collector_oee.py [--machines 200] [--turns 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from support.generated_plant import DAY, Size, write_plant_yaml, write_sqlite

from smkit.core.sample import Sample
from smkit.core.timeunits import MINUTE_NS, NS_PER_S
from smkit.historian.sqlite import SqliteHistorian
from smkit.oee.runner import planned_machines, run_once
from smkit.oee.schedule import RecentShifts
from smkit.plant import load_plant
from smkit.plant.model import Plant

LINES = 10


async def five_minutes(historian: SqliteHistorian, machines: list[str], now: int,
                       counter: int) -> None:  # fmt: skip
    """What five minutes of collecting bring each machine."""
    samples = [Sample(m, "state", now - MINUTE_NS, 1) for m in machines]
    for minute in range(5):
        at = now - (4 - minute) * MINUTE_NS
        samples += [Sample(m, "total", at, counter + minute) for m in machines]
    await historian.write_samples(samples)


async def measure(plant: Plant, historian: SqliteHistorian, turns: int) -> None:
    machines = planned_machines(plant)
    lookback = round(plant.oee.lookback * NS_PER_S)
    recent = RecentShifts(plant, historian, machines)
    await recent.turn(time.time_ns())  # the first turn computes everything, as before
    whole, changed = [], []
    for turn in range(turns):
        await five_minutes(historian, machines, time.time_ns(), 10**6 + turn * 10)
        cpu, wall, now = time.process_time(), time.perf_counter(), time.time_ns()
        written = await run_once(plant, historian, now - lookback, now, horizon_ns=now,
                                 machines=machines)  # fmt: skip
        whole.append((time.process_time() - cpu, time.perf_counter() - wall, written))
        await five_minutes(historian, machines, time.time_ns(), 10**6 + turn * 10 + 5)
        cpu, wall = time.process_time(), time.perf_counter()
        written = await recent.turn(time.time_ns())
        changed.append((time.process_time() - cpu, time.perf_counter() - wall, written))
    report(len(machines), plant.oee.lookback / 3600, whole, changed)


def report(machines: int, lookback_h: float, whole: list[tuple[float, float, int]],
           changed: list[tuple[float, float, int]]) -> None:  # fmt: skip
    before, after = min(whole), min(changed)  # the turn that took the least CPU
    print(
        f"collector OEE turn, {machines} machines, lookback {lookback_h:g} h (best of "
        f"{len(whole)}):"
    )
    print(
        f"  before: the whole lookback   CPU {before[0]:6.2f} s  wall {before[1]:6.2f} s  "
        f"{before[2]:,} records"
    )
    print(
        f"  after:  only what changed    CPU {after[0]:6.2f} s  wall {after[1]:6.2f} s  "
        f"{after[2]:,} records   ({before[0] / after[0]:.1f}x less CPU)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=200)
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="smkit-collector-oee-"))
    try:
        size = Size(machines=args.machines, days=2, process_hz=1 / 600,
                    start_ns=time.time_ns() - 2 * DAY)  # fmt: skip
        plant_path = write_plant_yaml(folder, size, {"kind": "sqlite", "path": "historian.db"},
                                      LINES)  # fmt: skip
        write_sqlite(folder / "historian.db", size)
        plant = load_plant(plant_path)

        async def run() -> None:
            historian = SqliteHistorian(folder / "historian.db")
            try:
                await measure(plant, historian, args.turns)
            finally:
                await historian.close()

        asyncio.run(run())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
