"""Readiness: frameworks, assessments (kept as the CLI's files), scores, reports, portfolio."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response

from smkit.api import assessments as files
from smkit.api.audit import Change
from smkit.api.deps import Caller, Reader, ServedDep, require
from smkit.api.roles import Right
from smkit.api.schemas.plant import Text
from smkit.api.schemas.problems import CONFLICT, REFUSALS
from smkit.api.schemas.readiness import (
    AssessmentSummary,
    FrameworkView,
    PortfolioView,
    SavedView,
    ScoreView,
    score_view,
    summary,
)
from smkit.api.writes import apply
from smkit.readiness.assessment import Assessment
from smkit.readiness.framework import bundled_frameworks, load_framework
from smkit.readiness.portfolio import portfolio
from smkit.readiness.render_html import render_html
from smkit.readiness.render_md import render_md
from smkit.readiness.report import report_data
from smkit.readiness.roadmap import roadmap
from smkit.readiness.scoring import score

router = APIRouter(prefix="/readiness", tags=["readiness"], responses=REFUSALS | CONFLICT)
Consultant = Annotated[Caller, Depends(require(Right.ASSESSMENTS))]
AssessmentId = Annotated[str, Path(pattern=files.ID_PATTERN, description="The file's name.")]
REPORT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}, "text/markdown": {}},
          "description": "The report in HTML, Markdown or JSON"}}  # fmt: skip
MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
         "json": "application/json"}  # fmt: skip


@router.get("/frameworks", response_model=list[FrameworkView])
async def frameworks(*, caller: Reader) -> list[FrameworkView]:
    """The bundled frameworks."""
    out = []
    for name, path in sorted(bundled_frameworks().items()):
        framework = load_framework(path).framework
        out.append(FrameworkView(id=name, version=framework.version,
                                 name=Text(vi=framework.name.vi, en=framework.name.en),
                                 dimensions=len(framework.dimension_by_id),
                                 criteria=len(framework.criterion_by_id),
                                 checklist_items=len(framework.item_by_id)))  # fmt: skip
    return out


@router.get("/assessments", response_model=list[AssessmentSummary])
async def list_assessments(*, caller: Reader, app: ServedDep) -> list[AssessmentSummary]:
    """Every assessment of the plant's assessments folder."""
    found = await asyncio.to_thread(files.every, app.plant.api.assessments)
    return [summary(name, item.assessment) for name, item in found.items()]


@router.get("/assessments/{assessment_id}", response_model=Assessment)
async def get_assessment(*, caller: Reader, app: ServedDep,
                         assessment_id: AssessmentId) -> Assessment:  # fmt: skip
    """The assessment as its file holds it."""
    return files.read(app.plant.api.assessments, assessment_id)[1]


@router.put("/assessments/{assessment_id}", response_model=SavedView)
async def put_assessment(*, caller: Consultant, app: ServedDep, assessment_id: AssessmentId,
                         assessment: Assessment) -> SavedView:  # fmt: skip
    """Create or replace an assessment; it is checked against its framework and saved as the
    file ``smkit readiness`` reads."""
    files.checked(assessment)
    folder = app.plant.api.assessments
    path = files.path_of(folder, assessment_id)
    before = path.read_text(encoding="utf-8") if path.exists() else None
    after = files.text_of(assessment)

    async def save() -> None:
        await asyncio.to_thread(files.write, folder, assessment_id, after)

    change = Change("assessment.save", f"assessment/{assessment_id}", before, after)
    return SavedView(id=assessment_id, changed=await apply(app, caller, change, save))


@router.get("/assessments/{assessment_id}/score", response_model=ScoreView)
async def assessment_score(*, caller: Reader, app: ServedDep,
                           assessment_id: AssessmentId) -> ScoreView:  # fmt: skip
    """Band per dimension, target, gap, progress; pillars, blocks, the overall index."""
    loaded, assessment = files.read(app.plant.api.assessments, assessment_id)
    return score_view(assessment_id, score(loaded.framework, assessment))


@router.get("/assessments/{assessment_id}/report", responses=REPORT)
async def assessment_report(
    *, caller: Reader, app: ServedDep, assessment_id: AssessmentId,
    lang: Literal["vi", "en"] = "vi", format: Literal["html", "md", "json"] = "html",
) -> Response:  # fmt: skip
    """The report: radar, pillars, gaps, roadmap, checklist, evidence; in vi or en."""
    loaded, assessment = files.read(app.plant.api.assessments, assessment_id)
    scored = score(loaded.framework, assessment)
    data = report_data(loaded, assessment, scored, roadmap(loaded.framework, assessment, scored),
                       None, lang)  # fmt: skip
    rendered = {"html": render_html, "md": render_md}.get(format)
    body = rendered(data) if rendered else json.dumps(data, ensure_ascii=False)
    return Response(body, media_type=MEDIA[format])


@router.get("/portfolio", response_model=PortfolioView)
async def programme_portfolio(*, caller: Reader, app: ServedDep) -> PortfolioView:
    """Enterprises per band per dimension, adoption of each checklist item, per sector."""
    found = await asyncio.to_thread(files.every, app.plant.api.assessments)
    result = portfolio(list(found.values()))
    return PortfolioView(enterprises=result.enterprises, bands=result.bands,
                         adoption={k: list(v) for k, v in result.adoption.items()},
                         by_sector=result.by_sector)  # fmt: skip
