"""A machine that goes silent does not look perfect: every period with planned time in which it
sent nothing carries a ``no_data`` flag, in the report (JSON and table) and in the records."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from tests.cli.test_cli import smkit
from tests.oee.test_window_truth import PLANT, T0

S = 10**9
HOUR = 3600 * S


def silent_plant(folder: Path) -> Path:
    """Running on Monday from 06:00, 10 parts at 09:00, then nothing at all."""
    plant = folder / "plant.yaml"
    plant.write_text(PLANT)

    async def store() -> None:
        historian = SqliteHistorian(folder / "smkit.db")
        await historian.write_samples([
            Sample("m1", "mode", T0 + 6 * HOUR, "RUN"), Sample("m1", "made", T0 + 6 * HOUR, 0),
            Sample("m1", "made", T0 + 9 * HOUR, 10),
        ])  # fmt: skip
        await historian.close()

    asyncio.run(store())
    return plant


def test_a_silent_day_is_flagged_no_data_in_the_report_and_the_records(tmp_path: Path) -> None:
    plant = silent_plant(tmp_path)
    window = ["--from", "2026-11-24T00:00", "--to", "2026-11-25T00:00"]
    done = smkit("oee", "report", "--plant", str(plant), *window, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [row["period"] for row in rows] == ["2026-11-24 A", "2026-11-24 B", "2026-11-24 C"]
    for row in rows:
        assert row["availability"] == 1.0 and row["no_data"] == 1
        [flag] = [f for f in row["flags"] if f.startswith("no data")]
        assert "2026-11-23T09:00:00+00:00" in flag, flag
    day = smkit("oee", "report", "--plant", str(plant), *window, "--by", "day", "--format", "json")
    assert json.loads(day.stdout)[0]["no_data"] == 3
    table = smkit("oee", "report", "--plant", str(plant), *window)
    assert table.stdout.count("no data: the machine sent no sample") == 3
    monday = smkit("oee", "report", "--plant", str(plant), "--from", "2026-11-23T00:00", "--to",
                   "2026-11-24T00:00", "--format", "json")  # fmt: skip
    assert [row["no_data"] for row in json.loads(monday.stdout)] == [0, 0, 1]
    ran = smkit("oee", "run", "--plant", str(plant), *window)
    assert ran.returncode == 0, ran.stderr

    async def records() -> list[dict[str, object]]:
        historian = SqliteHistorian(tmp_path / "smkit.db")
        try:
            found = await historian.read_records("oee", T0, T0 + 3 * 24 * HOUR)
        finally:
            await historian.close()
        return [dict(r.fields) for r in found]

    stored = asyncio.run(records())
    assert len(stored) == 3 and all(r["no_data"] == 1 for r in stored)
    assert all(r["no_data_since_s"] == (T0 + 9 * HOUR) / S for r in stored)
