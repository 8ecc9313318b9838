"""A simulated scenario written straight into a SQLite historian, with its plant.yaml: for
tests of what reads the historian (OEE reports, readiness evidence) without a connector."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml

from smkit.connectors.common.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.simulators.catalog import SCENARIOS, find_scenario
from smkit.simulators.run import SimulationLog, simulate
from smkit.simulators.signals import signal_values


def stored_simulation(
    folder: Path, scenario: str, seed: int, hours: float, **plant: Any
) -> tuple[Path, list[Sample], SimulationLog]:
    """Simulate ``hours`` of ``scenario``, store every value; plant.yaml gets ``plant`` keys."""
    loaded = find_scenario(scenario)
    log = simulate(loaded, seed, round(hours * 3600))
    document = yaml.safe_load((SCENARIOS / scenario / "plant.yaml").read_text())
    document.update(historian={"kind": "sqlite", "path": "historian.db"},
                    outbox={"path": "outbox.db"}, **plant)  # fmt: skip
    (folder / "plant.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    samples = [Sample(v.machine, v.signal, v.ts, v.value)
               for v in signal_values(loaded.scenario, loaded.plant, log)]  # fmt: skip

    async def store() -> None:
        historian = SqliteHistorian(folder / "historian.db")
        await historian.write_samples(samples)
        await historian.close()

    asyncio.run(store())
    return folder / "plant.yaml", samples, log
