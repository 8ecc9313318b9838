"""Shift reports: one printable page per shift and line, with CSV and Excel downloads."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from smkit.api.errors import NotFound
from smkit.plant.model import Line
from smkit.web.board import kpi_class, target_of
from smkit.web.page import Page, Reading
from smkit.web.shift_report import ShiftRow, as_csv, as_xlsx, shift_rows
from smkit.web.shown import Shown, shown_period

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/shifts", response_class=HTMLResponse)
async def lines(page: Reading) -> HTMLResponse:
    found = [(area.id, line) for area in page.served.plant.site.areas for line in area.lines]
    return page.render("shifts.html", lines=found)


@router.get("/shifts/{line_id}", response_class=HTMLResponse)
async def shift_report(page: Reading, line_id: str, at: dt.datetime | None = None) -> HTMLResponse:
    shown, rows = await _report(page, line_id, at)
    zone = ZoneInfo(page.served.plant.site.timezone)
    return page.render("shift.html", line=_line(page, line_id), shown=shown, rows=rows,
                       zone=zone, targets=page.served.plant.oee.targets, kpi_class=kpi_class,
                       target_of=target_of, loss_key=lambda name: "loss_" + name.replace(" ", "_"),
                       generated=dt.datetime.now(zone),
                       start_at=shown.start_iso)  # fmt: skip


@router.get("/shifts/{line_id}/report.csv")
async def shift_csv(page: Reading, line_id: str, at: dt.datetime | None = None) -> Response:
    shown, rows = await _report(page, line_id, at)
    return Response(as_csv(rows, page.t), media_type="text/csv; charset=utf-8",
                    headers=_attachment(line_id, shown, "csv"))  # fmt: skip


@router.get("/shifts/{line_id}/report.xlsx")
async def shift_xlsx(page: Reading, line_id: str, at: dt.datetime | None = None) -> Response:
    shown, rows = await _report(page, line_id, at)
    title = f"{page.t('shift_report')} · {line_id} · {shown.name}"
    return Response(as_xlsx(rows, page.t, title), media_type=XLSX,
                    headers=_attachment(line_id, shown, "xlsx"))  # fmt: skip


async def _report(page: Page, line_id: str, at: dt.datetime | None) -> tuple[Shown, list[ShiftRow]]:
    """The shift holding ``at`` (default: the last one that ended) and its rows."""
    line = _line(page, line_id)
    if not line.machines:
        raise NotFound(f"line {line_id!r} has no machines")
    plant = page.served.plant
    now = time.time_ns()
    shown = shown_period(plant, line.machines[0].id, at, "shift", now)
    if at is None and shown.end_ns > now:  # the shift going on: show the last one that ended
        shown = shown_period(plant, line.machines[0].id, dt.datetime.fromisoformat(shown.before),
                             "shift", now)  # fmt: skip
    results = await page.served.periods.results(shown.start_ns, shown.end_ns, now_ns=now,
                                                machines=[m.id for m in line.machines])  # fmt: skip
    wanted = [r for r in results if r.start >= shown.start_ns and r.end <= shown.end_ns]
    return shown, shift_rows(wanted, line_id,
                             exclude_unknown=plant.oee.unknown_time == "excluded")  # fmt: skip


def _line(page: Page, line_id: str) -> Line:
    found = next((line for area in page.served.plant.site.areas for line in area.lines
                  if line.id == line_id), None)  # fmt: skip
    if found is None:
        raise NotFound(f"no line {line_id!r}")
    return found


def _attachment(line_id: str, shown: Shown, ext: str) -> dict[str, str]:
    name = f"shift-{line_id}-{shown.name.replace(' ', '-')}.{ext}"
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}
