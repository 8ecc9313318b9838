"""A simulated scenario written straight into a SQLite historian, with its plant.yaml: for
tests of what reads the historian (OEE reports, readiness evidence) without a connector."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import load_plant
from smkit.plant.calendar import Calendar
from smkit.plant.machine import SignalRole
from smkit.plant.model import Plant
from smkit.simulators.catalog import SCENARIOS, find_scenario
from smkit.simulators.run import SimulationLog, simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.signals import signal_values
from smkit.simulators.truth import ground_truth

KPIS = ("availability", "performance", "quality", "oee")


def stored_simulation(
    folder: Path,
    scenario: str,
    seed: int,
    hours: float,
    *,
    start: dt.datetime | None = None,
    process_period_s: float | None = None,
    calendar: dict[str, Any] | None = None,
    **plant: Any,
) -> tuple[Path, list[Sample], SimulationLog]:
    """Simulate ``hours`` of ``scenario`` (from ``start``, else the scenario's; process values
    every ``process_period_s``, else the scenario's; with ``calendar`` as the plant's only
    calendar, for the simulator too), store every value; plant.yaml gets ``plant`` keys."""
    loaded = _adjusted(find_scenario(scenario), start, process_period_s)
    if calendar is not None:
        name = loaded.plant.site.calendar or "calendar"
        plant["calendars"] = {name: calendar}
        calendars = {name: Calendar.model_validate(calendar)}
        loaded = LoadedScenario(loaded.scenario, loaded.plant.model_copy(
            update={"calendars": calendars}), loaded.path)  # fmt: skip
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


def past_start(name: str, days: int) -> dt.datetime:
    """The scenario's start, moved back by whole weeks until its span has passed: the report,
    like a user's, counts no time after now."""
    start = find_scenario(name).scenario.start
    while start > dt.datetime.now() - dt.timedelta(days=days + 2):
        start -= dt.timedelta(weeks=1)
    return start


def stored_until_now(
    folder: Path, scenario: str, seed: int, hours: float, zone: ZoneInfo, **plant: Any
) -> tuple[Path, list[Sample], SimulationLog]:
    """:func:`stored_simulation` of the ``hours`` that end now, under a calendar whose shift
    going on began 4 to 5 hours ago (:func:`shifts_around`)."""
    now = dt.datetime.now(zone)
    start = (now - dt.timedelta(hours=hours)).replace(second=0, microsecond=0, tzinfo=None)
    return stored_simulation(folder, scenario, seed, hours, start=start,
                             calendar=shifts_around(now), **plant)  # fmt: skip


def shifts_around(now: dt.datetime) -> dict[str, Any]:
    """A calendar of three eight-hour shifts every day, the one going on at ``now`` (local)
    having begun 4 to 5 hours before: tests of "this shift" pass on any day at any hour."""
    first = (now.hour - 4) % 24
    return {
        "shifts": [
            {
                "id": str(n + 1),
                "start": f"{(first + 8 * n) % 24:02d}:00",
                "end": f"{(first + 8 * n + 8) % 24:02d}:00",
            }
            for n in range(3)
        ]
    }


def _adjusted(
    loaded: LoadedScenario, start: dt.datetime | None, process_period_s: float | None
) -> LoadedScenario:
    changes: dict[str, Any] = {}
    if start is not None:
        changes["start"] = start
    if process_period_s is not None:
        changes["process_period"] = process_period_s
    if not changes:
        return loaded
    return LoadedScenario(loaded.scenario.model_copy(update=changes), loaded.plant, loaded.path)


def report_against_truth(plant: Path, log: SimulationLog) -> tuple[int, list[str]]:
    """``smkit oee report --by shift --format json`` over the whole simulated span, compared
    shift by shift with the simulator's ground truth: (KPI values compared, mismatches)."""
    zone = ZoneInfo(yaml.safe_load(plant.read_text())["site"]["timezone"])

    def local(ns: int) -> str:
        return dt.datetime.fromtimestamp(ns / 1e9, zone).replace(tzinfo=None).isoformat()

    done = subprocess.run(
        [sys.executable, "-m", "smkit", "oee", "report", "--plant", str(plant), "--from",
         local(log.start), "--to", local(log.end), "--by", "shift", "--format", "json"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        return 0, [f"smkit oee report exited {done.returncode}: {done.stderr.strip()}"]
    rows = {(r["entity"], r["period"]): r for r in json.loads(done.stdout)}
    blind = without_quality_counters(load_plant(plant))
    compared, wrong = 0, []
    for truth in ground_truth(log):
        row = rows.get((truth.machine, f"{truth.day} {truth.shift}"))
        if row is None:
            wrong.append(f"{truth.machine} {truth.day} {truth.shift}: no row in the report")
            continue
        for name, want in truth.kpis().items():
            if name not in KPIS or (truth.machine in blind and name in ("quality", "oee")):
                continue
            got = row[name]
            if (got is None) != (want is None) or (
                want is not None and abs(got - float(want)) > 1e-9
            ):
                wrong.append(f"{truth.machine} {truth.day} {truth.shift} {name}: {got} != {want}")
            compared += 1
    return compared, wrong


def without_quality_counters(plant: Plant) -> set[str]:
    """Machines that count only their total (the bottling line's labeller): their scrap is in
    the truth but not in their signals, so their quality and OEE cannot be measured."""
    quality = {SignalRole.COUNT_GOOD, SignalRole.COUNT_REJECT}
    return {m.id for _, m in plant.machines() if not any(s.role in quality for s in m.signals)}
