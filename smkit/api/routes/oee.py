"""OEE and losses per machine, line, area or site and bucket, and the downtime events."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from smkit.api.answers import Rendered
from smkit.api.deps import Reader, ServedDep
from smkit.api.query import Asked, AskedDep
from smkit.api.schemas.losses import LossesView, losses_view
from smkit.api.schemas.oee import OeeRow, StopView, oee_row, stop_view
from smkit.api.schemas.problems import REFUSALS
from smkit.api.served import Served
from smkit.oee.report import report_rows
from smkit.oee.rollup import Bucket, Level, PeriodResult, roll_up
from smkit.oee.runner import machine_stops, period_results
from smkit.plant.model import Plant

router = APIRouter(tags=["oee"], responses=REFUSALS)
JSON = "application/json"
_ROWS = TypeAdapter(list[OeeRow])
_LOSSES = TypeAdapter(list[LossesView])
CSV = {200: {"content": {"text/csv": {}}, "description": "JSON rows, or CSV with format=csv"}}


@router.get("/oee", response_model=list[OeeRow], responses=CSV)  # type: ignore[arg-type]
async def oee(
    *,
    caller: Reader,
    app: ServedDep,
    asked: AskedDep,
    level: Annotated[Level, Query(description="Sum per machine, line, area or site.")] = "machine",
    by: Annotated[Bucket, Query(description="Shift, hour, day, week, month or window.")] = "shift",
    format: Literal["json", "csv"] = "json",
) -> list[OeeRow] | Response:
    """A, P, Q, OEE and every other KPI, time element, count and flag."""

    async def render() -> Rendered:
        results = await _results(app, asked.at(time.time_ns()), by)
        return await asyncio.to_thread(_rendered_rows, app.plant, results, level, by, format)

    return await app.answers.get(("oee", asked.read, level, by, format), render)


def _rendered_rows(plant: Plant, results: list[PeriodResult], level: Level, by: Bucket,
                   format: str) -> Rendered:  # fmt: skip
    """The rows as JSON or CSV (in a worker thread: a month of a line is thousands of rows)."""
    groups = roll_up(results, level, by)
    exclude = plant.oee.unknown_time == "excluded"
    zone = ZoneInfo(plant.site.timezone)
    rows = [oee_row(g, r, zone) for g, r in zip(groups, report_rows(groups,
            exclude_unknown=exclude), strict=True)]  # fmt: skip
    return _csv(rows) if format == "csv" else Rendered(_ROWS.dump_json(rows), JSON)


@router.get("/losses", response_model=list[LossesView])
async def losses(
    *,
    caller: Reader,
    app: ServedDep,
    asked: AskedDep,
    level: Annotated[Level, Query(description="Sum per machine, line, area or site.")] = "machine",
) -> list[LossesView] | Response:
    """Over the whole window: the waterfall of planned time (Nakajima's six big losses, then
    the valuable time), the downtime Pareto with vi and en labels, and MTBF / MTTR / MTTF."""

    async def render() -> Rendered:
        results = await _results(app, asked.at(time.time_ns()), "window")
        return await asyncio.to_thread(_rendered_losses, app.plant, results, level)

    return await app.answers.get(("losses", asked.read, level), render)


def _rendered_losses(plant: Plant, results: list[PeriodResult], level: Level) -> Rendered:
    groups = roll_up(results, level, "window")
    return Rendered(_LOSSES.dump_json([losses_view(g, plant) for g in groups]), JSON)


async def _results(app: Served, asked: Asked, by: Bucket) -> list[PeriodResult]:
    """The periods asked for: closed shifts as kept, hours and the open shift computed."""
    if by == "hour":
        return await period_results(app.plant, app.historian, asked.start_ns, asked.end_ns,
                                    horizon_ns=asked.now_ns, machines=asked.machines,
                                    hourly=True)  # fmt: skip
    return await app.periods.results(asked.start_ns, asked.end_ns, now_ns=asked.now_ns,
                                     machines=asked.machines)  # fmt: skip


@router.get("/downtime", response_model=list[StopView])
async def downtime(*, caller: Reader, app: ServedDep, asked: AskedDep) -> list[StopView]:
    """Every stop in planned time of the window, each measured to its real end."""
    found = await machine_stops(app.plant, app.historian, asked.start_ns, asked.end_ns,
                                horizon_ns=asked.now_ns, machines=asked.machines)  # fmt: skip
    zone = ZoneInfo(app.plant.site.timezone)
    return [stop_view(machine, stop, zone) for machine, stops in found.items() for stop in stops]


def _csv(rows: list[OeeRow]) -> Rendered:
    """One line per row: its place, then every KPI, time and count as a column."""
    out = io.StringIO()
    writer = csv.writer(out)
    first = rows[0] if rows else None
    kpis = list(first.kpis) if first else []
    times = list(first.times_s) if first else []
    counts = list(first.counts) if first else []
    writer.writerow(["period", "level", "entity", "start", "end", *kpis,
                     *(f"{t}_s" for t in times), *counts, "flags"])  # fmt: skip
    for row in rows:
        writer.writerow([row.period, row.level, row.entity, row.start.isoformat(),
                         row.end.isoformat(), *("" if row.kpis[k] is None else row.kpis[k]
                         for k in kpis), *(row.times_s[t] for t in times),
                         *(row.counts[c] for c in counts), "; ".join(row.flags)])  # fmt: skip
    return Rendered(out.getvalue().encode(), "text/csv; charset=utf-8",
                    {"Content-Disposition": 'attachment; filename="oee.csv"'})  # fmt: skip
