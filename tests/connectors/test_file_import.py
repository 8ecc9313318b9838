"""A month of CSV exports imported through the file source, as a factory loads last year's logs.

A simulated month of the CNC cell is stored twice: straight into one historian, and written as
daily CSV files the way Excel saves them in Vietnam (BOM, ';', decimal comma, dd/mm/yyyy,
Vietnamese headers, CRLF) that ``smkit collect`` imports into another. The exports carry two
rows no one can read, a second copy of one day under another name, and the first collector is
killed (SIGKILL) in the middle of the import. The OEE of every shift, and every stored value,
must be the same from both historians.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

from smkit.cli.app import app
from smkit.collector import Collector
from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.connectors.file.connector import FileConnector
from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import load_plant
from smkit.simulators.run import SimulationLog
from tests.simulated_plant import past_start, stored_simulation

DAYS = 30
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = ["Thời gian", "Máy", "Tag", "Giá trị"]
BAD_ROWS = {  # day index -> (line the bad row becomes, the row)
    9: (6, ["31/11/2026 08:00:00", "vmc-01", "state", "6"]),
    20: (40, ["14/12/2026 08:00:00", "vmc-02", "parts_total", "mười"]),
}
DUPLICATED_DAY = 4


def local_text(ns: int) -> str:
    moment = dt.datetime.fromtimestamp(ns // 1000 / 1e6, ZONE)
    return moment.strftime("%d/%m/%Y %H:%M:%S.%f")


def cell(value: object) -> str:
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def write_exports(folder: Path, samples: list[Sample]) -> list[Path]:
    """One file per local day, rows in time order, as Excel writes CSV in a vi-VN locale."""
    days: dict[str, list[Sample]] = defaultdict(list)
    for sample in sorted(samples, key=lambda s: (s.ts, s.machine_id, s.signal)):
        assert sample.ts % 1000 == 0, "the CSV keeps microseconds"
        day = dt.datetime.fromtimestamp(sample.ts / 1e9, ZONE).date().isoformat()
        days[day].append(sample)
    folder.mkdir()
    written = []
    for index, (day, rows) in enumerate(sorted(days.items())):
        lines = [[local_text(s.ts), s.machine_id, s.signal, cell(s.value)] for s in rows]
        if index in BAD_ROWS:
            line, row = BAD_ROWS[index]
            lines.insert(line - 2, row)
        path = folder / f"{day}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
            writer.writerows([HEADER, *lines])
        written.append(path)
    return written


def importing_plant(direct: Path, folder: Path) -> Path:
    """The simulated plant with every machine read from a file source instead."""
    document = yaml.safe_load(direct.read_text())
    document["sources"] = [{
        "kind": "file", "id": "exports", "path": "exports", "layout": "long",
        "columns": {"time": "Thời gian", "machine": "Máy", "tag": "Tag", "value": "Giá trị"},
        "delimiter": ";", "decimal": ",", "batch_rows": 500,
    }]  # fmt: skip
    for area in document["site"]["areas"]:
        for line in area["lines"]:
            for machine in line["machines"]:
                machine["source"] = "exports"
                for found in machine["signals"]:
                    found.pop("address", None)
    document.update(historian={"kind": "sqlite", "path": "imported.db"},
                    outbox={"path": "outbox.db"}, oee={"every": 0})  # fmt: skip
    path = folder / "plant.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


def progress_of(progress: Path) -> tuple[int, int, int]:
    """(files finished, files part-read, data rows read) as the progress file says."""
    if not progress.exists():
        return 0, 0, 0
    with sqlite3.connect(f"file:{progress}?mode=ro", uri=True, timeout=5) as db:
        try:
            done, partly, rows = db.execute(
                "SELECT count(*) FILTER (WHERE done),"
                " count(*) FILTER (WHERE NOT done AND line > 1),"
                " coalesce(sum(max(line - 1, 0)), 0) FROM files"
            ).fetchone()
        except sqlite3.OperationalError:  # the table is being created
            return 0, 0, 0
    return int(done), int(partly), int(rows)


def crash_mid_file(plant: Path, progress: Path) -> tuple[int, int]:
    """``smkit collect`` killed with SIGKILL once a file is finished and the next part-read:
    (files finished, data rows read) then."""
    collector = subprocess.Popen(
        [sys.executable, "-m", "smkit", "collect", "--plant", str(plant)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while progress_of(progress)[:2] < (1, 1) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(collector.pid, signal.SIGKILL)
        collector.wait()
    done, partly, rows = progress_of(progress)
    assert done and partly, f"the kill should land inside a file ({done} done, {partly} part-read)"
    return done, rows


async def import_to_the_end(plant_path: Path) -> FileConnector:
    """A collector run until its file source has looked at every file and the outbox is empty."""
    collector = Collector(load_plant(plant_path))
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    (connector,) = collector.connectors
    assert isinstance(connector, FileConnector)
    await asyncio.wait_for(connector.imported.wait(), 300)
    while (await collector.outbox.stats()).samples:
        await asyncio.sleep(0.05)
    stop.set()
    await run
    return connector


def shift_report(plant: Path, log: SimulationLog) -> list[dict[str, object]]:
    def local(ns: int) -> str:
        return dt.datetime.fromtimestamp(ns / 1e9, ZONE).replace(tzinfo=None).isoformat()

    result = CliRunner().invoke(app, ["oee", "report", "--plant", str(plant), "--from",
                                      local(log.start), "--to", local(log.end), "--by", "shift",
                                      "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


async def every_value(path: Path, plant: Path, log: SimulationLog) -> dict[tuple[str, str], list]:
    loaded = load_plant(plant)
    historian = SqliteHistorian(path)
    found = {}
    async with historian:
        for _, machine in loaded.machines():
            signals = [s.name for s in machine.signals]
            columns = await historian.read_columns(machine.id, log.start, log.end + 1, signals)
            for name, column in columns.items():
                found[machine.id, name] = list(zip(column.ts.tolist(), list(column.values),
                                                   strict=True))  # fmt: skip
    return found


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sample], SimulationLog]:
    # a month that has passed: a report counts no time after now, and one computed twice
    # during a shift that is going on differs by the seconds between the two
    return stored_simulation(tmp_path_factory.mktemp("direct"), "cnc-cell", seed=5,
                             hours=DAYS * 24, process_period_s=3600.0,
                             start=past_start("cnc-cell", DAYS))  # fmt: skip


async def test_a_month_of_exports_gives_the_oee_of_the_same_samples_stored_directly(
    month: tuple[Path, list[Sample], SimulationLog], tmp_path: Path
) -> None:
    direct, samples, log = month
    exports = write_exports(tmp_path / "exports", samples)
    original = exports[DUPLICATED_DAY]
    copy = original.with_name(original.stem + " - Copy.csv")
    shutil.copy2(original, copy)
    plant = importing_plant(direct, tmp_path)
    progress = tmp_path / "outbox.exports.files.db"

    done_before, rows_before = await asyncio.to_thread(crash_mid_file, plant, progress)
    connector = await import_to_the_end(plant)

    all_rows = len(samples) + len(BAD_ROWS)
    assert connector.health.messages == all_rows - rows_before, "each row is read once"
    assert progress_of(progress)[0] == len(exports) + 1 > done_before
    with sqlite3.connect(progress) as db:
        twins = db.execute("SELECT path, duplicate_of FROM files WHERE duplicate_of IS NOT NULL")
        assert sorted(twins.fetchall()[0]) == sorted([original.name, copy.name])
    async with UnreadableMessages(tmp_path / "outbox.dead.db") as store:
        dead = await store.recent()
    expected = {f"{exports[day].name}:{line}" for day, (line, _) in BAD_ROWS.items()}
    assert {m.origin for m in dead} == expected
    assert any("31/11/2026" in m.reason for m in dead)
    assert any("'mười' is not a number" in m.reason for m in dead)

    stored = await every_value(direct.parent / "historian.db", direct, log)
    imported = await every_value(tmp_path / "imported.db", plant, log)
    assert imported == stored
    report = await asyncio.to_thread(shift_report, plant, log)
    assert len(report) > 40 and report == await asyncio.to_thread(shift_report, direct, log)
