"""Readiness in the browser: the assessments, each one's report (with evidence measured on
this plant's data), an editor in which a consultant rates criteria beside the live-data evidence
and its conflicts (saved as ``PUT /api/v1/readiness/assessments/{id}`` saves it: the file the
CLI reads), and the programme's portfolio."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smkit.api import assessments as files
from smkit.api.roles import Right
from smkit.api.routes.readiness import put_assessment
from smkit.readiness.assessment import Assessment, CriterionRating
from smkit.readiness.evidence import EvidenceFile
from smkit.readiness.framework import load_framework
from smkit.readiness.live import measure
from smkit.readiness.portfolio import portfolio
from smkit.readiness.render_html import render_html
from smkit.readiness.report import report_data
from smkit.readiness.roadmap import roadmap
from smkit.readiness.scoring import score
from smkit.web.page import Page, Reading, Refused, said

router = APIRouter()
EVIDENCE_FRESH_S = 600.0
EVIDENCE_DAYS = 30.0
RATINGS = ("met", "partly", "not", "na")
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)


@router.get("/readiness", response_class=HTMLResponse)
async def assessments(page: Reading) -> HTMLResponse:
    found = await asyncio.to_thread(files.every, page.served.plant.api.assessments)
    return page.render("readiness.html", found=sorted(found.items()),
                       may_edit=page.may(Right.ASSESSMENTS))  # fmt: skip


@router.get("/readiness/{assessment_id}/report")
async def report(page: Reading, assessment_id: str) -> Response:
    """The full report, as ``smkit readiness report`` renders it, with this plant's evidence."""
    data, _ = await _data(page, _id(assessment_id))
    return HTMLResponse(render_html(data), headers={"Content-Security-Policy": REPORT_POLICY})


@router.get("/readiness/{assessment_id}/edit", response_class=HTMLResponse)
async def editor(page: Reading, assessment_id: str, saved: str | None = None) -> HTMLResponse:
    return await _editor(page, _id(assessment_id), None, saved)


@router.post("/readiness/{assessment_id}/edit", response_model=None)
async def save(page: Reading, assessment_id: str) -> Response:
    form = await page.form(Right.ASSESSMENTS)
    name = _id(assessment_id)
    _, assessment = files.read(page.served.plant.api.assessments, name)
    edited = _edited(assessment, {k: str(v) for k, v in form.items()})
    try:
        saved = await put_assessment(caller=page.caller, app=page.served, assessment_id=name,
                                     assessment=edited)  # fmt: skip
    except HTTPException as refused:
        return await _editor(page, name, said(refused), None, 422)
    outcome = "changed" if saved.changed else "unchanged"
    return RedirectResponse(f"/readiness/{name}/edit?saved={outcome}", 303)


@router.get("/portfolio", response_class=HTMLResponse)
async def programme(page: Reading) -> HTMLResponse:
    found = await asyncio.to_thread(files.every, page.served.plant.api.assessments)
    result = portfolio(list(found.values()))
    frameworks = {item.assessment.framework.id for item in found.values()}
    framework = load_framework(sorted(frameworks)[0]).framework if frameworks else None
    return page.render("portfolio.html", result=result, framework=framework,
                       bands=range(6))  # fmt: skip


async def _editor(page: Page, name: str, problem: str | None, saved: str | None,
                  status: int = 200) -> HTMLResponse:  # fmt: skip
    data, assessment = await _data(page, name)
    return page.render("readiness_edit.html", status=status, name=name,
                       data=data, problem=problem, saved=saved,
                       ratings=RATINGS, may_edit=page.may(Right.ASSESSMENTS),
                       notes={c: r.note for c, r in assessment.ratings.items()})  # fmt: skip


async def _data(page: Page, name: str) -> tuple[dict[str, Any], Assessment]:
    """The report's data in the reader's language (with this plant's evidence), and the
    assessment it was made from."""
    loaded, assessment = files.read(page.served.plant.api.assessments, name)
    evidence = await live_evidence(page)
    scored = score(loaded.framework, assessment, evidence)
    steps = roadmap(loaded.framework, assessment, scored)
    return report_data(loaded, assessment, scored, steps, evidence, page.lang), assessment


async def live_evidence(page: Page) -> EvidenceFile:
    """What the plant's data shows over the last 30 days, measured at most every 10 minutes."""
    state = page.request.app.state
    kept: tuple[float, EvidenceFile] | None = getattr(state, "live_evidence", None)
    if kept is None or time.monotonic() - kept[0] > EVIDENCE_FRESH_S:
        found = await measure(page.served.plant, page.served.historian, time.time_ns(),
                              EVIDENCE_DAYS)  # fmt: skip
        kept = state.live_evidence = (time.monotonic(), found)
    return kept[1]


def _edited(assessment: Assessment, form: dict[str, str]) -> Assessment:
    """The assessment with the form's ratings, reasons and notes (``rating.<criterion>``...);
    a criterion set to "not rated" is taken out; its evidence and assessor are kept."""
    ratings = dict(assessment.ratings)
    for field, value in form.items():
        if not field.startswith("rating."):
            continue
        criterion = field.removeprefix("rating.")
        if value not in RATINGS:
            ratings.pop(criterion, None)
            continue
        given = ratings.get(criterion) or CriterionRating(rating=value)
        ratings[criterion] = given.model_copy(update={
            "rating": value, "reason": form.get(f"reason.{criterion}", "").strip(),
            "note": form.get(f"note.{criterion}", "").strip()})  # fmt: skip
    return assessment.model_copy(update={"ratings": ratings})


def _id(assessment_id: str) -> str:
    if not re.match(files.ID_PATTERN, assessment_id):
        raise Refused(404, "not_found")
    return assessment_id
