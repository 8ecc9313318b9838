"""Every shipped scenario, 14 days (two weekends), simulated, stored and reported equal to truth.

For each scenario: simulate 14 days from its start (moved back by whole weeks into the past)
with every signal (process values at their scenario rate), store every value in a SQLite
historian, run ``smkit oee report --by shift --format json`` in its own process as a user does,
and compare A, P, Q and OEE of every shift with the simulator's exact ground truth (a machine
that counts only its total, the bottling line's labeller, has its scrap in the truth but not in
its signals: its A and P are compared). Printed beside the report's time, measured in the same
run: the baseline of fetching the rows the report reads with plain sqlite3 (no smkit code).

``make test`` runs a weekend of each scenario (tests/simulators/test_scenarios_truth.py).

Usage: python benchmarks/scenarios_truth.py [--days 14] [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test helpers below

from smkit.oee.inputs import signals_read
from smkit.plant import load_plant
from tests.simulated_plant import past_start, report_against_truth, stored_simulation

SCENARIOS = ("injection-moulding", "cnc-cell", "bottling-line")


def raw_read_s(plant_file: Path, start: int, end: int) -> float:
    """Seconds to fetch, with plain sqlite3, the rows the report reads."""
    plant = load_plant(plant_file)
    db = sqlite3.connect(plant_file.parent / "historian.db")
    started = time.perf_counter()
    for _, machine in plant.machines():
        state_map = plant.state_maps.get(machine.state_map) if machine.state_map else None
        names = signals_read(machine, state_map)
        marks = ",".join("?" * len(names))
        db.execute(
            "SELECT d.ts, d.value, d.quality FROM series s JOIN samples d ON d.series = s.id "
            f"WHERE s.machine = ? AND s.signal IN ({marks}) AND d.ts >= ? AND d.ts < ?",
            (machine.id, *names, start, end),
        ).fetchall()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def one(name: str, days: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="smkit-truth-") as folder:
        started = time.perf_counter()
        plant, samples, log = stored_simulation(Path(folder), name, 1, days * 24,
                                                start=past_start(name, days))  # fmt: skip
        stored_s = time.perf_counter() - started
        machines = len(list(load_plant(plant).machines()))
        started = time.perf_counter()
        compared, wrong = report_against_truth(plant, log)
        report_s = time.perf_counter() - started
        raw_s = raw_read_s(plant, log.start, log.end)
    machine_days = machines * days
    print(f"{name}: {days} days x {machines} machines, {len(samples):,} samples stored "
          f"(simulated and stored in {stored_s:.0f} s)")  # fmt: skip
    print(f"  smkit oee report --by shift: {report_s:6.2f} s "
          f"({report_s / machine_days * 1e3:.0f} ms per machine-day)")  # fmt: skip
    print(f"  baseline: plain sqlite3 fetching the rows it reads: {raw_s:6.2f} s "
          f"({raw_s / machine_days * 1e3:.0f} ms per machine-day)")  # fmt: skip
    print(f"  {compared} KPI values compared with the truth, {len(wrong)} differ")
    for line in wrong[:10]:
        print(f"    {line}")
    return compared > 0 and not wrong


def main(days: int, names: list[str]) -> None:
    results = [one(name, days) for name in names]
    verdict = "every shift equals the truth" if all(results) else "SOME SHIFTS DIFFER"
    print(f"{len(names)} scenarios, {days} days each: {verdict}")
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    arguments = parser.parse_args()
    main(arguments.days, arguments.scenario or list(SCENARIOS))
