"""``smkit oee downtime``: every failure the simulator caused, listed with its start, end and
reason as the simulator's own log has them, and nothing listed that it did not cause."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from smkit.plant.machine import StateCategory
from smkit.simulators.events import StateChange
from smkit.simulators.run import SimulationLog
from tests.cli.test_cli import smkit
from tests.cli.test_oee_cli import local
from tests.simulated_plant import stored_simulation

HOUR = 3600 * 10**9


@pytest.fixture(scope="module")
def cnc_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationLog]:
    plant, _, log = stored_simulation(tmp_path_factory.mktemp("downtime"), "cnc-cell", 4, 30,
                                      process_period_s=600.0)  # fmt: skip
    return plant, log


def caused_failures(log: SimulationLog, end: int) -> set[tuple[str, int, int, str]]:
    """(machine, start, end, reason) of every failure the simulator began before ``end``."""
    found = set()
    changes = [event for event in log.events if isinstance(event, StateChange)]
    for machine in {change.machine for change in changes}:
        own = sorted((c for c in changes if c.machine == machine), key=lambda c: c.ts)
        for event, after in itertools.pairwise(own):
            if event.cause == "failure" and event.ts < end:
                assert event.category is StateCategory.UNPLANNED_DOWN and event.reason
                found.add((machine, event.ts, after.ts, event.reason))
    return found


def test_the_failures_listed_are_the_ones_the_simulator_caused(
    cnc_day: tuple[Path, SimulationLog],
) -> None:
    plant, log = cnc_day
    end = log.start + 24 * HOUR
    done = smkit("oee", "downtime", "--plant", str(plant), "--from", local(log.start), "--to",
                 local(end), "--format", "json", "--lang", "vi")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    listed = {(r["machine"], r["start_ns"], r["end_ns"], r["reason"])
              for r in rows if r["is_failure"]}  # fmt: skip
    caused = {f for f in caused_failures(log, end) if f[2] > log.start}
    assert len(listed) > 5
    assert listed <= caused, "every failure listed was caused, with its real start and end"
    unlisted = caused - listed
    assert all(_outside_planned(rows, f) for f in unlisted), unlisted
    assert {r["kind"] for r in rows} >= {"breakdown", "setup", "small_stop"}
    assert any(r["label"] == "Gãy dao" for r in rows), "reason labels in Vietnamese"
    for row in rows:
        assert row["planned_s"] > 0 and row["length_s"] >= row["planned_s"]


def _outside_planned(rows: list[dict[str, object]], failure: tuple[str, int, int, str]) -> bool:
    """A failure not listed must lie wholly in unplanned time: no listed stop overlaps it."""
    machine, start, end, _ = failure
    return not any(r["machine"] == machine and r["start_ns"] < end and start < r["end_ns"]  # type: ignore[operator]
                   for r in rows)  # fmt: skip


def test_the_table_shows_a_stop_per_line(cnc_day: tuple[Path, SimulationLog]) -> None:
    plant, log = cnc_day
    done = smkit("oee", "downtime", "--plant", str(plant), "--from", local(log.start), "--to",
                 local(log.start + 8 * HOUR), "--machine", "vmc-01")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header.split() == ["machine", "start", "end", "minutes", "kind", "reason", "label",
                              "failure"]  # fmt: skip
    assert lines and all(line.startswith("vmc-01") for line in lines)
