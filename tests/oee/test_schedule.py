"""``smkit collect`` keeps the recent shifts' OEE records up to date on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from smkit.collector import Collector
from smkit.core.sample import Sample
from smkit.historian.sqlite import SqliteHistorian
from smkit.oee.entries import OPERATOR_REASON
from smkit.oee.periods import NO_SHIFT, shift_periods
from smkit.oee.runner import (
    machine_stops,
    period_results,
    planned_machines,
    records,
    run_once,
    settings_of,
)
from smkit.oee.schedule import RecentShifts
from smkit.plant import load_plant
from smkit.plant.model import Plant
from smkit.simulators.catalog import SCENARIOS
from tests.simulated_plant import shifts_around, stored_until_now

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

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


async def test_a_turn_recomputes_the_open_shifts_and_exactly_what_late_data_touched(
    tmp_path: Path,
) -> None:
    async with moulding_until_now(tmp_path, seed=3, hours=30) as (plant, historian):
        recent = RecentShifts(plant, historian, planned_machines(plant))
        first = time.time_ns()
        everything = await recent.turn(first)
        late = first - 20 * HOUR  # a machine's state sent late, into a closed shift
        await historian.write_samples([Sample("press-02", "mode", late, "SETUP")])
        second = time.time_ns()
        starts = await recent._starts(second)
        touched = shift_periods(plant, "press-02", late - 24 * HOUR, late + 1)[-1]
        open_shift = shift_periods(plant, "press-01", second - 24 * HOUR, second)[-1]
        assert starts == {open_shift.start: ["press-01", "press-03", "press-04"],
                          touched.start: ["press-02"]}  # fmt: skip
        written = await recent.turn(second)
        assert 0 < written < everything
        scratch = await period_results(plant, historian, second - 24 * HOUR, second,
                                       horizon_ns=second)  # fmt: skip
        wanted = {(r.tags["machine"], r.ts): r.fields
                  for r in records(scratch, second, settings_of(plant).small_stop_ns)
                  if r.measurement == "oee" and r.ts > second - 24 * HOUR}  # fmt: skip
        stored = await historian.read_records("oee", min(ts for _, ts in wanted), second)
        kept = {(r.tags["machine"], r.ts): r.fields for r in stored
                if (r.tags["machine"], r.ts) in wanted}  # fmt: skip
        assert len(wanted) >= 12  # every whole shift of the last day, the late one's too
        assert kept == wanted  # as a computation from scratch


async def test_a_reclassified_stop_leaves_no_downtime_behind_under_its_old_reason(
    tmp_path: Path,
) -> None:
    async with moulding_until_now(tmp_path, seed=4, hours=8) as (plant, historian):
        t = time.time_ns()
        window = (t - 8 * HOUR, t)
        await run_once(plant, historian, *window, horizon_ns=t)
        found = await machine_stops(plant, historian, *window, horizon_ns=t)
        machine = next(m for m, stops in found.items() if any(s.reason == "A-24" for s in stops))
        reclassified = [Sample(machine, OPERATOR_REASON, s.start_ns, "S-01") for s in
                        found[machine] if s.reason == "A-24" and not s.open_start]  # fmt: skip
        assert reclassified
        await historian.write_samples(reclassified)  # every A-24 stop of the machine: setups
        t = time.time_ns()
        await run_once(plant, historian, *window, horizon_ns=t)
        results = await period_results(plant, historian, *window, horizon_ns=t,
                                       machines=[machine])  # fmt: skip
        for result in results:
            if result.key[0] != "shift" or result.key[2] == NO_SHIFT:
                continue
            stored = await historian.read_records("downtime", result.start, result.start + 1,
                                                  {"machine": machine})  # fmt: skip
            by_reason = {r.tags["reason"]: r.fields["duration_s"] for r in stored}
            wanted = {k: ns / 1e9 for k, ns in result.elements.downtime_by_reason.items()}
            assert {k: v for k, v in by_reason.items() if v} == wanted  # none left behind
            assert "A-24" not in wanted


@asynccontextmanager
async def moulding_until_now(
    folder: Path, *, seed: int, hours: int
) -> AsyncIterator[tuple[Plant, SqliteHistorian]]:
    """The moulding shop simulated for ``hours`` up to now, stored in ``folder``: its plant
    and its open historian."""
    plant_path, _, _ = await asyncio.to_thread(stored_until_now, folder, "injection-moulding",
                                               seed, hours, ZONE)  # fmt: skip
    async with SqliteHistorian(folder / "historian.db") as historian:
        yield load_plant(plant_path), historian
