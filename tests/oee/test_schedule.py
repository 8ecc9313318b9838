"""``smkit collect`` keeps the recent shifts' OEE records up to date on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from smkit.collector import Collector
from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import load_plant
from smkit.simulators.catalog import SCENARIOS
from tests.simulated_plant import shifts_around

HOUR = 3600 * 10**9


async def test_the_collector_writes_oee_records_of_the_recent_shifts_every_turn(
    tmp_path: Path,
) -> None:
    plant = yaml.safe_load((SCENARIOS / "injection-moulding" / "plant.yaml").read_text())
    plant.update(sources=[], historian={"kind": "sqlite", "path": "historian.db"},
                 outbox={"path": "outbox.db"})  # fmt: skip
    plant["oee"] = {"every": "500ms", "lookback": "12h"}
    local_now = dt.datetime.now(ZoneInfo(plant["site"]["timezone"]))
    plant["calendars"] = {"three-shift": shifts_around(local_now)}  # a shift going on, any day
    for machine in plant["site"]["areas"][0]["lines"][0]["machines"]:
        machine.pop("source", None)
    (tmp_path / "plant.yaml").write_text(yaml.safe_dump(plant, allow_unicode=True))
    now = time.time_ns()
    historian = SqliteHistorian(tmp_path / "historian.db")
    await historian.write_samples([
        Sample("press-01", "mode", now - 3 * HOUR, "AUTOMATIC"),
        Sample("press-01", "shots", now - 3 * HOUR, 0),
        Sample("press-01", "shots", now - HOUR, 1000),
    ])  # fmt: skip
    await historian.close()
    collector = Collector(load_plant(tmp_path / "plant.yaml"))
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    await asyncio.sleep(2.0)
    stop.set()
    await run
    historian = SqliteHistorian(tmp_path / "historian.db")
    records = await historian.read_records("oee", now - 13 * HOUR, now + HOUR,
                                           {"machine": "press-01"})  # fmt: skip
    await historian.close()
    assert records, "the current shift (at least) was computed"
    assert sum(int(r.fields["total"]) + int(r.fields["outside_count"]) for r in records) == 1000
    current = max(records, key=lambda r: r.ts)
    assert current.fields["final"] is False, "the shift in progress is not final yet"
    assert all(r.tags["period"] == "shift" and r.tags["line"] == "presses" for r in records)
