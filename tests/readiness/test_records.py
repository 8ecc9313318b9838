"""``readiness`` records written to and read back from real historians (SQLite, influxd)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from smkit.historian import Historian
from smkit.historian.protocol import Record
from smkit.historian.sqlite import SqliteHistorian
from smkit.readiness.assessment import open_assessment
from smkit.readiness.records import MEASUREMENT, readiness_records
from smkit.readiness.scoring import score
from tests.cli.test_cli import plant_file, smkit
from tests.readiness.test_cli import ADVANCED, SMALL

DAY = 86_400 * 10**9


async def test_bands_are_stored_per_dimension_and_rewriting_replaces_them(
    historian: Historian,
) -> None:
    loaded, audit = open_assessment(ADVANCED)
    scored = score(loaded.framework, audit)
    records = readiness_records(audit, scored)
    await historian.write_records(records)
    await historian.write_records(records)  # the same assessment again
    start = int(dt.datetime(2026, 11, 12, tzinfo=dt.UTC).timestamp()) * 10**9
    stored = await historian.read_records(MEASUREMENT, start, start + DAY)
    assert len(stored) == 17
    bands = {r.tags["dimension"]: r.fields["band"] for r in stored if "band" in r.fields}
    assert bands == {d: r.band for d, r in scored.dimensions.items()}
    (overall,) = [r for r in stored if r.tags["dimension"] == "overall"]
    assert overall.fields["index"] == float(scored.overall)
    assert {r.tags["assessment"] for r in stored} == {audit.facility.name}


def test_score_write_puts_the_records_in_the_plants_historian(tmp_path: Path) -> None:
    plant = plant_file(tmp_path, "historian: {kind: sqlite, path: readiness.db}\n")
    done = smkit("readiness", "score", str(SMALL), "--write", str(plant))
    assert done.returncode == 0, done.stderr
    assert "wrote 17 readiness records" in done.stderr

    async def stored() -> list[Record]:
        historian = SqliteHistorian(tmp_path / "readiness.db")
        try:
            return await historian.read_records(MEASUREMENT, 0, 2**62)
        finally:
            await historian.close()

    records = asyncio.run(stored())
    assert len(records) == 17
    assert {r.tags["assessment"] for r in records} == {"Công ty TNHH Nhựa An Phát"}
