"""The operator's tablet: this shift's stops that still need a reason, the reason catalog as
big buttons in the operator's language, a split at an instant and a note. What is entered is
written as ``POST /api/v1/stop-reasons`` writes it, and shows at once on the machine page."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from smkit.api.errors import NotFound
from smkit.api.roles import Right
from smkit.api.routes.stops import reason_given
from smkit.core.timeunits import NS_PER_S
from smkit.oee.runner import machine_stops
from smkit.oee.stops import Stop
from smkit.plant.machine import Machine
from smkit.web.formats import local
from smkit.web.page import Page, Reading, Refused, said
from smkit.web.shown import shown_period

router = APIRouter()
NOTE_MAX = 2000


@router.get("/operator", response_class=HTMLResponse)
async def machines(page: Reading) -> HTMLResponse:
    """The machines to choose from (an operator limited to lines sees those lines')."""
    key = page.session.key if page.session else None
    lines = key.lines if key else ()
    found = [(p, m) for p, m in page.served.plant.machines() if not lines or p.line in lines]
    return page.render("operator_machines.html", machines=found)


@router.get("/operator/{machine_id}", response_class=HTMLResponse)
async def stops_to_explain(page: Reading, machine_id: str, every: bool = False,
                           saved: bool = False) -> HTMLResponse:  # fmt: skip
    return await _page(page, _machine(page, machine_id), every=every, saved=saved)


@router.post("/operator/{machine_id}/reason", response_model=None)
async def give_reason(page: Reading, machine_id: str) -> Response:
    form = await page.form(Right.STOP_REASONS)
    machine = _machine(page, machine_id)
    every = form.get("every") == "true"
    try:
        at = _instant(page, form)
        note = str(form.get("note", "")).strip()[:NOTE_MAX] or None
        await reason_given(page.served, page.caller, machine_id=machine.id, at=at,
                           reason=str(form.get("reason", "")), note=note)  # fmt: skip
    except HTTPException as refused:
        return await _page(page, machine, every=every, problem=said(refused),
                           status=refused.status_code)  # fmt: skip
    back = f"/operator/{machine.id}?saved=true" + ("&every=true" if every else "")
    return RedirectResponse(back, 303)


async def _page(page: Page, machine: Machine, *, every: bool, saved: bool = False,
                problem: str | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    plant = page.served.plant
    now = time.time_ns()
    shown = shown_period(plant, machine.id, None, "shift", now)
    stops = await machine_stops(plant, page.served.historian, shown.start_ns, now,
                                horizon_ns=now, machines=[machine.id])  # fmt: skip
    found = stops.get(machine.id, [])
    threshold_ns = round(plant.oee.reason_required_after * NS_PER_S)
    listed = [s for s in found if every or _needs_reason(s, threshold_ns)]
    return page.render(
        "operator.html", status=status, machine=machine, shown=shown, stops=listed[::-1],
        every=every, saved=saved, problem=problem, reasons=plant.reasons,
        zone=ZoneInfo(plant.site.timezone), may_write=page.may(Right.STOP_REASONS),
        threshold=plant.oee.reason_required_after,
    )  # fmt: skip


def _needs_reason(stop: Stop, threshold_ns: int) -> bool:
    """A stop longer than the threshold that neither the machine nor a person explained."""
    return stop.length_ns > threshold_ns and (not stop.reason or stop.reason_source == "none")


def _machine(page: Page, machine_id: str) -> Machine:
    found = next((m for _, m in page.served.plant.machines() if m.id == machine_id), None)
    if found is None:
        raise NotFound(f"no machine {machine_id!r}")
    return found


def _instant(page: Page, form: FormData) -> int:
    """The stop's start, or the split time (HH:MM[:SS], site time) inside the stop."""
    try:
        start, end = int(str(form.get("stop_start"))), int(str(form.get("stop_end")))
    except ValueError:
        raise Refused(422, "form_expired") from None
    split = str(form.get("split_at", "")).strip()
    if not split:
        return start
    try:
        clock = dt.time.fromisoformat(split)
    except ValueError:
        raise HTTPException(422, page.t("split_about")) from None
    zone = ZoneInfo(page.served.plant.site.timezone)
    began = local(start, zone)
    wanted = dt.datetime.combine(began.date(), clock, zone)
    if wanted < began.replace(microsecond=0):
        wanted += dt.timedelta(days=1)  # the stop runs past midnight
    at = round(wanted.timestamp()) * NS_PER_S
    if not start <= at < end:
        raise HTTPException(422, page.t("split_about"))
    return at
