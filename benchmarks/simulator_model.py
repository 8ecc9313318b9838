"""How much faster than real time the machine model runs (no serving), for each shipped scenario
and for a 10-machine plant, next to the simulated span as the baseline (speed-up = span / wall).

Usage: python benchmarks/simulator_model.py [--hours H]
"""

from __future__ import annotations

import argparse
import time

from smkit.simulators.catalog import shipped
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario, load_scenario
from smkit.simulators.truth import ground_truth


def measure(loaded: LoadedScenario, hours: float) -> tuple[float, int, int]:
    started = time.perf_counter()
    log = simulate(loaded, seed=1, duration_s=hours * 3600)
    shifts = ground_truth(log)
    return time.perf_counter() - started, len(log.events), len(shifts)


def main(hours: float) -> None:
    print(f"machine model and ground truth, {hours:g} simulated hours (baseline: real time)")
    machines = 0
    wall_total = 0.0
    for path in shipped():
        loaded = load_scenario(path)
        wall, events, shifts = measure(loaded, hours)
        machines += len(loaded.scenario.machines)
        wall_total += wall
        count = len(loaded.scenario.machines)
        print(
            f"  {path.parent.name:<20} {count:>2} machines  {wall:6.2f} s wall  {events:>7} events"
            f"  {shifts:>3} shift records  speed-up x{hours * 3600 / wall:,.0f}"
        )
    print(
        f"  all {machines} machines together: {wall_total:.2f} s for {hours:g} h "
        f"(speed-up x{hours * 3600 / wall_total:,.0f}; "
        "target: an 8 h shift of 10 machines in < 60 s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    main(parser.parse_args().hours)
