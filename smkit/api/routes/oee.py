"""OEE and losses per machine, line, area or site and bucket, and the downtime events."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from smkit.api.deps import Reader, Served, ServedDep
from smkit.api.query import Asked, AskedDep
from smkit.api.schemas.losses import LossesView, losses_view
from smkit.api.schemas.oee import OeeRow, StopView, oee_row, stop_view
from smkit.api.schemas.problems import REFUSALS
from smkit.oee.report import report_rows
from smkit.oee.rollup import Bucket, Group, Level, roll_up
from smkit.oee.runner import machine_stops, period_results

router = APIRouter(tags=["oee"], responses=REFUSALS)
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
    plant = app.plant
    groups = await _groups(app, asked, level, by)
    exclude = plant.oee.unknown_time == "excluded"
    zone = ZoneInfo(plant.site.timezone)
    rows = [oee_row(g, r, zone) for g, r in zip(groups, report_rows(groups,
            exclude_unknown=exclude), strict=True)]  # fmt: skip
    return _csv(rows) if format == "csv" else rows


@router.get("/losses", response_model=list[LossesView])
async def losses(
    *,
    caller: Reader,
    app: ServedDep,
    asked: AskedDep,
    level: Annotated[Level, Query(description="Sum per machine, line, area or site.")] = "machine",
) -> list[LossesView]:
    """Over the whole window: the waterfall of planned time (Nakajima's six big losses, then
    the valuable time), the downtime Pareto with vi and en labels, and MTBF / MTTR / MTTF."""
    groups = await _groups(app, asked, level, "window")
    return [losses_view(group, app.plant) for group in groups]


async def _groups(app: Served, asked: Asked, level: Level, by: Bucket) -> list[Group]:
    """The roll-up asked for: closed shifts as kept, hours and the open shift computed."""
    if by == "hour":
        results = await period_results(app.plant, app.historian, asked.start_ns, asked.end_ns,
                                       horizon_ns=asked.now_ns, machines=asked.machines,
                                       hourly=True)  # fmt: skip
    else:
        results = await app.periods.results(asked.start_ns, asked.end_ns, now_ns=asked.now_ns,
                                            machines=asked.machines)  # fmt: skip
    return roll_up(results, level, by)


@router.get("/downtime", response_model=list[StopView])
async def downtime(*, caller: Reader, app: ServedDep, asked: AskedDep) -> list[StopView]:
    """Every stop in planned time of the window, each measured to its real end."""
    found = await machine_stops(app.plant, app.historian, asked.start_ns, asked.end_ns,
                                horizon_ns=asked.now_ns, machines=asked.machines)  # fmt: skip
    zone = ZoneInfo(app.plant.site.timezone)
    return [stop_view(machine, stop, zone) for machine, stops in found.items() for stop in stops]


def _csv(rows: list[OeeRow]) -> Response:
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
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="oee.csv"'})  # fmt: skip
