"""Every shipped scenario, over a weekend, simulated, stored and reported equal to its truth
(``benchmarks/scenarios_truth.py`` does 14 days of each, process values included)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from smkit.simulators.catalog import find_scenario
from tests.simulated_plant import report_against_truth, stored_simulation

SCENARIO_NAMES = ("injection-moulding", "cnc-cell", "bottling-line")


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_a_weekend_of_each_scenario_is_stored_and_reported_equal_to_its_truth(
    name: str, tmp_path: Path
) -> None:
    shipped = find_scenario(name).scenario
    saturday = shipped.start - dt.timedelta(days=(shipped.start.weekday() - 5) % 7)
    plant, samples, log = stored_simulation(
        tmp_path, name, 3, 72, start=saturday, process_period_s=600,
        oee={"small_stop_threshold": f"{shipped.small_stop_threshold}s"},
    )  # fmt: skip
    assert {s.ts for s in samples} and min(s.ts for s in samples) >= log.start
    compared, wrong = report_against_truth(plant, log)
    assert not wrong, wrong[:10]
    assert compared >= 8, "the weekend's shifts and Monday's are compared"
