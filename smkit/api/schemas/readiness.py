"""Readiness as the API shows it: frameworks, assessments listed, scores."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from smkit.api.schemas.plant import Text
from smkit.readiness.assessment import Assessment
from smkit.readiness.scoring import Score


class FrameworkView(BaseModel):
    id: str
    version: str
    name: Text
    dimensions: int
    criteria: int
    checklist_items: int


class AssessmentSummary(BaseModel):
    id: str
    enterprise: str
    sector: str
    assessor: str
    date: dt.date
    framework: str


class DimensionScore(BaseModel):
    band: int
    target: int | None
    gap: int
    progress: float
    blocking: list[str]


class ScoreView(BaseModel):
    """Bands per dimension with target, gap and progress into the next band; the overall
    index (weighted mean) and the lowest band; how many ratings live data contradicts."""

    id: str
    overall: float
    minimum: int
    dimensions: dict[str, DimensionScore]
    pillars: dict[str, float]
    blocks: dict[str, float]
    conflicts: int


class SavedView(BaseModel):
    id: str
    changed: bool


class PortfolioView(BaseModel):
    enterprises: int
    bands: dict[str, dict[int, int]]
    adoption: dict[str, list[int]]
    by_sector: dict[str, int]


def summary(assessment_id: str, assessment: Assessment) -> AssessmentSummary:
    return AssessmentSummary(id=assessment_id, enterprise=assessment.facility.name,
                             sector=assessment.facility.sector, assessor=assessment.assessor,
                             date=assessment.date, framework=assessment.framework.id)  # fmt: skip


def score_view(assessment_id: str, scored: Score) -> ScoreView:
    return ScoreView(
        id=assessment_id, overall=float(scored.overall), minimum=scored.minimum,
        dimensions={d: DimensionScore(band=r.band, target=r.target, gap=r.gap,
                                      progress=float(r.progress), blocking=list(r.blocking))
                    for d, r in scored.dimensions.items()},
        pillars={p: float(r.mean) for p, r in scored.pillars.items()},
        blocks={b: float(r.mean) for b, r in scored.blocks.items()},
        conflicts=len(scored.conflicts),
    )  # fmt: skip
