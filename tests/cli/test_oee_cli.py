"""``smkit oee report``, ``losses`` and ``run`` on a simulated day written into a historian."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from smkit.historian.sqlite import SqliteHistorian
from smkit.simulators.catalog import SCENARIOS
from smkit.simulators.truth import ShiftTruth, ground_truth
from tests.cli.test_cli import smkit
from tests.simulated_plant import stored_simulation

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def simulated_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ShiftTruth], int]:
    """A day of the moulding shop in a SQLite historian, its plant.yaml and its truth."""
    plant, _, log = stored_simulation(tmp_path_factory.mktemp("oee-cli"), "injection-moulding", 2,
                                      24, oee={"small_stop_threshold": "2m"})  # fmt: skip
    return plant, ground_truth(log), log.start


def day_report(plant: Path, start: int, *options: str) -> list[dict[str, Any]]:
    """``smkit oee report --format json`` over the simulated day, with ``options``."""
    done = smkit("oee", "report", "--plant", str(plant), "--from", local(start), "--to",
                 local(start + 24 * 3600 * 10**9), *options, "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def local(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, ZONE).replace(tzinfo=None).isoformat()


def test_report_by_shift_gives_each_press_and_shift_as_the_truth_has_it(
    simulated_day: tuple[Path, list[ShiftTruth], int],
) -> None:
    plant, truths, start = simulated_day
    rows = {(r["entity"], r["period"]): r for r in day_report(plant, start)}
    for truth in truths:
        row = rows[(truth.machine, f"{truth.day} {truth.shift}")]
        expected = truth.kpis()
        for name in ("availability", "performance", "quality", "oee"):
            want = expected[name]
            assert (row[name] is None) == (want is None)
            assert want is None or row[name] == pytest.approx(float(want), abs=1e-9)
    table = smkit("oee", "report", "--plant", str(plant), "--from", local(start), "--to",
                  local(start + 24 * 3600 * 10**9), "--machine", "press-01")  # fmt: skip
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:7] == ["period", "entity", "planned_h", "availability",
                                    "performance", "quality", "oee"]  # fmt: skip
    assert len(lines) == 1 + 3 and all("press-01" in line and "%" in line for line in lines[1:])


def test_a_line_by_day_sums_its_machines_then_divides(
    simulated_day: tuple[Path, list[ShiftTruth], int],
) -> None:
    plant, truths, start = simulated_day
    [row] = day_report(plant, start, "--line", "presses", "--by", "window")
    valuable = sum((t.valuable_ns for t in truths), Fraction(0))
    planned = sum(t.planned_ns for t in truths)
    assert row["entity"] == "moulding/presses"
    assert row["oee"] == pytest.approx(float(valuable / planned), abs=1e-9)
    ideal = sum((t.ideal_total_ns for t in truths), Fraction(0))
    running = sum(t.running_ns for t in truths)
    assert row["performance"] == pytest.approx(float(ideal / running), abs=1e-9)
    mean = sum(float(t.kpis()["performance"] or 0) for t in truths) / len(truths)
    assert abs(row["performance"] - mean) > 1e-4, "not the mean of the shifts' percentages"


def test_the_site_per_day_is_every_machine_summed(
    simulated_day: tuple[Path, list[ShiftTruth], int],
) -> None:
    plant, truths, start = simulated_day
    rows = day_report(plant, start, "--per", "site", "--by", "day")
    assert {row["entity"] for row in rows} == {"im-shop"}
    assert sum(row["total"] for row in rows) == sum(t.total for t in truths)
    assert sum(row["planned_h"] for row in rows) == pytest.approx(
        sum(t.planned_ns for t in truths) / 3600e9
    )


def test_losses_show_the_waterfall_and_the_downtime_pareto_in_vietnamese(
    simulated_day: tuple[Path, list[ShiftTruth], int],
) -> None:
    plant, _, start = simulated_day
    end = local(start + 24 * 3600 * 10**9)
    done = smkit("oee", "losses", "--plant", str(plant), "--from", local(start), "--to", end,
                 "--machine", "press-03", "--lang", "vi")  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for step in ("breakdowns", "setup and adjustment", "small stops", "reduced speed",
                 "production rejects", "valuable (fully productive)"):  # fmt: skip
        assert step in text
    assert "Thay khuôn" in text, "the mould change reason, labelled in Vietnamese"
    assert "cumulative" in text and "100.0 %" in text


def test_run_writes_records_once_and_rerunning_changes_nothing(
    simulated_day: tuple[Path, list[ShiftTruth], int],
) -> None:
    plant, truths, start = simulated_day
    args = ("oee", "run", "--plant", str(plant), "--from", local(start), "--to",
            local(start + 24 * 3600 * 10**9))  # fmt: skip
    first, second = smkit(*args), smkit(*args)
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    written = int(first.stdout.split()[0])
    assert written > len(truths), "one oee record per press and shift, and downtime records"

    async def count() -> int:
        historian = SqliteHistorian(plant.parent / "historian.db")
        try:
            return len(await historian.read_records("oee", start, start + 86_400 * 10**9))
        finally:
            await historian.close()

    assert asyncio.run(count()) == len(truths)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-11-24", "--to", "2026-11-23"), "the window ends before it starts"),
        (("--from", "yesterday"), "--from 'yesterday': not a date or time"),
        (("--from", "2026-11-23", "--by", "fortnight"), "--by 'fortnight': allowed are shift"),
        (("--from", "2026-11-23", "--machine", "press-9"), "--machine 'press-9': no such machine"),
    ],
)
def test_bad_arguments_are_clear_errors_with_exit_code_2(
    simulated_day: tuple[Path, list[ShiftTruth], int], args: tuple[str, ...], message: str
) -> None:
    plant, _, _ = simulated_day
    done = smkit("oee", "report", "--plant", str(plant), *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_machine_without_a_calendar_is_a_clear_error(tmp_path: Path) -> None:
    plant = yaml.safe_load((SCENARIOS / "cnc-cell" / "plant.yaml").read_text())
    plant["site"].pop("calendar", None)
    for area in plant["site"]["areas"]:
        for line in area["lines"]:
            line.pop("calendar", None)
    plant["historian"] = {"kind": "sqlite", "path": "historian.db"}
    (tmp_path / "plant.yaml").write_text(yaml.safe_dump(plant, allow_unicode=True))
    done = smkit("oee", "report", "--plant", str(tmp_path / "plant.yaml"), "--from", "2026-11-23")
    assert done.returncode == 2, done.stderr
    assert "has no calendar: set calendar: on its line" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_late_finding_recorded_from_the_command_line_moves_units_of_its_shift_to_scrap(
    simulated_day: tuple[Path, list[ShiftTruth], int], tmp_path: Path
) -> None:
    plant, _, start = simulated_day
    shutil.copy(plant.parent / "historian.db", tmp_path / "historian.db")
    document = yaml.safe_load(plant.read_text())
    [press] = [m for a in document["site"]["areas"] for line in a["lines"]
               for m in line["machines"] if m["id"] == "press-01"]  # fmt: skip
    press["signals"] = [*press["signals"], {"name": "qa_scrap", "role": "late_scrap"}]
    copy = tmp_path / "plant.yaml"
    copy.write_text(yaml.safe_dump(document, allow_unicode=True))
    before = day_report(copy, start, "--machine", "press-01")
    day = before[0]["period"].split()[0]
    done = smkit("oee", "finding", "--plant", str(copy), "--machine", "press-01",
                 "--at", f"{day}T08:00", "--scrap", "40")  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = day_report(copy, start, "--machine", "press-01")
    for old, new in zip(before, after, strict=True):
        moved = 40 if old["period"] == f"{day} 1" else 0
        assert (new["total"], new["good"], new["rejects"]) == (
            old["total"],
            old["good"] - moved,
            old["rejects"] + moved,
        )
    assert any(row["period"] == f"{day} 1" for row in before)
    refused = smkit("oee", "finding", "--plant", str(copy), "--machine", "press-02",
                    "--at", f"{day}T08:00", "--rework", "3")  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "machine 'press-02' has no late_rework signal" in refused.stderr
