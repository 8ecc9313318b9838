"""A machine's page: the shift's (or day's) state timeline, loss waterfall, downtime Pareto,
counts against plan, its stops, and charts of chosen process signals."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from smkit.api.errors import NotFound
from smkit.api.schemas.oee import kpi_values
from smkit.core.columns import Column
from smkit.core.reduce import reduce
from smkit.oee.elements import Elements, kpis, total
from smkit.oee.report import pareto, waterfall
from smkit.oee.runner import computed_periods, machine_stops
from smkit.plant.machine import Machine, SignalRole
from smkit.web import charts
from smkit.web.board import kpi_class, target_of
from smkit.web.page import Page, Reading
from smkit.web.shown import By, shown_period

router = APIRouter()
KPIS = ("oee", "availability", "performance", "quality")
CHART_POINTS = 300
CHART_HEIGHT = 120.0


@router.get("/machines/{machine_id}", response_class=HTMLResponse)
async def machine_page(
    page: Reading, machine_id: str, at: dt.datetime | None = None, by: By = "shift",
    signals: Annotated[list[str] | None, Query(alias="signal", max_length=8)] = None,
) -> HTMLResponse:  # fmt: skip
    plant, historian = page.served.plant, page.served.historian
    found = next(((p, m) for p, m in plant.machines() if m.id == machine_id), None)
    if found is None:
        raise NotFound(f"no machine {machine_id!r}")
    place, machine = found
    now = time.time_ns()
    shown = shown_period(plant, machine.id, at, by, now)
    periods = computed_periods(plant, historian, shown.start_ns, shown.end_ns, horizon_ns=now,
                               machines=[machine.id])  # fmt: skip
    computed = [c async for c in periods]
    elements = total(r.elements for c in computed for r in c.results)
    exclude = plant.oee.unknown_time == "excluded"
    ratios = kpis(elements, exclude_unknown=exclude)
    values = kpi_values(ratios, KPIS)
    end = shown.clipped_end(now)
    stops = (await machine_stops(plant, historian, shown.start_ns, end, horizon_ns=now,
                                 machines=[machine.id])).get(machine.id, [])  # fmt: skip
    steps = waterfall(elements)
    ranked = pareto(elements, plant.reasons, page.lang)
    process = _process_signals(machine)
    chosen = [s for s in (signals or process[:2]) if s in process]
    return page.render(
        "machine.html", machine=machine, place=place, shown=shown, kpis=values,
        targets=plant.oee.targets, kpi_class=kpi_class, target_of=target_of, elements=elements,
        timeline=charts.timeline(computed[0].states, shown.start_ns, end, shown.end_ns)
        if computed else [],
        waterfall=charts.waterfall_bars(elements.planned_ns / 1e9,
                                        [(s.name, float(s.ns) / 1e9) for s in steps[:-1]]),
        pareto=ranked, pareto_bars=charts.bars([(e.reason, e.ns / 1e9) for e in ranked],
                                               max((e.ns / 1e9 for e in ranked), default=0)),
        target_count=_target_count(elements), stops=stops, zone=ZoneInfo(plant.site.timezone),
        process=process,
        chosen=chosen, charts=await _charts(page, machine, chosen, shown.start_ns, end),
        chart_height=CHART_HEIGHT, width=charts.WIDTH, loss_key=loss_key, now_ns=now,
    )  # fmt: skip


def _process_signals(machine: Machine) -> list[str]:
    return [s.name for s in machine.signals if s.role is SignalRole.PROCESS]


def _target_count(e: Elements) -> int | None:
    """Units the planned time would have made at the ideal rate of the units made."""
    return int(e.total * e.planned_ns / e.ideal_ns) if e.ideal_ns and e.total else None


async def _charts(page: Page, machine: Machine, names: list[str], start_ns: int,
                  end_ns: int) -> list[tuple[str, str | None, charts.Band | None]]:  # fmt: skip
    if not names:
        return []
    columns = await page.served.historian.read_columns(machine.id, start_ns, end_ns, names)
    units = {s.name: s.unit for s in machine.signals}
    return [(name, units.get(name), charts.band(reduce(columns.get(name, Column.empty()),
             start_ns, end_ns, CHART_POINTS), start_ns, end_ns, CHART_HEIGHT))
            for name in names]  # fmt: skip


def loss_key(name: str) -> str:
    """The text key of a waterfall step (``small stops`` → ``loss_small_stops``)."""
    return "loss_" + name.replace(" ", "_")
