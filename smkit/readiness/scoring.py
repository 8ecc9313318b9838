"""Scoring an assessment: a band per dimension, aggregates, gaps, conflicts with live data.

Pure: a framework, an assessment and (optionally) live evidence in, a :class:`Score` out.

* **Criteria.** The assessor's rating counts (unrated: not met). N/A excuses a criterion only
  while a dimension's N/A share stays within the framework's cap; above it, N/A counts as not
  met and the dimension says so. A fresh live metric that fails a criterion's rule caps the
  rating at not met (a conflict when the assessor said met or partly); one that passes gives an
  unrated criterion "met" and, when the assessor said not met, is shown as a conflict too.
* **Bands.** Band b counts when every required criterion of band b is rated at least
  ``band_rule.this_band`` and every one of bands 1..b-1 at least ``band_rule.lower_bands``; the
  dimension's band is the highest that counts (0 when none).
* **Aggregates.** A pillar is the weighted mean and the minimum of its dimensions' bands, a
  building block those of its pillars (the minimum over all its dimensions), the overall index
  the weighted mean of the blocks. Means are exact fractions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from smkit.readiness.assessment import Assessment, Rating, applicable
from smkit.readiness.evidence import EvidenceFile
from smkit.readiness.framework import Band, Criterion, Dimension, Framework

VALUE: dict[str, Fraction] = {"met": Fraction(1), "partly": Fraction(1, 2), "not": Fraction(0)}
RANK = {"na": 2, "met": 2, "partly": 1, "not": 0}  # an excused criterion counts as met
Source = Literal["assessor", "live", "unrated", "na", "na_over_cap"]


@dataclass(frozen=True)
class LiveCheck:
    """A criterion's automatic rule applied to a measured metric."""

    metric: str
    value: float
    rule: str
    passes: bool
    fresh: bool
    time: dt.datetime
    source: str


@dataclass(frozen=True)
class CriterionResult:
    """How one criterion counts: the assessor's rating, the live check, the outcome."""

    id: str
    band: int
    required: bool
    rating: Rating | None
    effective: Rating
    source: Source
    live: LiveCheck | None = None


@dataclass(frozen=True)
class Conflict:
    """A rating that live data contradicts (or a "not met" that live data would grant)."""

    criterion: str
    dimension: str
    rating: Rating | None
    check: LiveCheck
    kind: Literal["contradicts", "supports"]


@dataclass(frozen=True)
class DimensionResult:
    """A dimension's band, its progress into the next one, its target and gap."""

    id: str
    block: str
    pillar: str
    band: int
    progress: Fraction
    target: int | None
    criteria: tuple[CriterionResult, ...]
    blocking: tuple[str, ...]
    na_count: int
    na_over_cap: bool
    rated_share: Fraction

    @property
    def gap(self) -> int:
        """Bands still to climb to the target (0 without a target or when reached)."""
        return max(0, (self.target or 0) - self.band)


@dataclass(frozen=True)
class GroupResult:
    """A pillar or building block: weighted mean and minimum of its dimensions' bands."""

    id: str
    mean: Fraction
    minimum: int
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistResult:
    """A checklist's adoption: items that apply to the sector, adopted, certified."""

    id: str
    states: dict[str, str]
    applicable: tuple[str, ...]
    adopted: tuple[str, ...]
    certified: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    """Everything scoring gives for one assessment."""

    dimensions: dict[str, DimensionResult]
    pillars: dict[str, GroupResult]
    blocks: dict[str, GroupResult]
    overall: Fraction
    minimum: int
    conflicts: tuple[Conflict, ...]
    checklists: tuple[ChecklistResult, ...]
    live_metrics: int


def score(
    framework: Framework, assessment: Assessment, evidence: EvidenceFile | None = None
) -> Score:
    """Score ``assessment`` (checked against ``framework``) with optional live ``evidence``."""
    dimensions: dict[str, DimensionResult] = {}
    conflicts: list[Conflict] = []
    for block, pillar, dimension in framework.dimensions():
        result, found = _dimension(framework, dimension, assessment, evidence)
        dimensions[dimension.id] = replace(result, block=block.id, pillar=pillar.id)
        conflicts += found
    pillars, blocks = {}, {}
    for block in framework.building_blocks:
        for pillar in block.pillars:
            ids = tuple(d.id for d in pillar.dimensions)
            weights: list[tuple[Fraction, Fraction | int]] = [
                (Fraction(d.weight), dimensions[d.id].band) for d in pillar.dimensions
            ]
            pillars[pillar.id] = GroupResult(pillar.id, _mean(weights),
                                             min(dimensions[i].band for i in ids), ids)  # fmt: skip
        ids = tuple(d.id for p in block.pillars for d in p.dimensions)
        blocks[block.id] = GroupResult(block.id, _mean([(Fraction(p.weight), pillars[p.id].mean)
                                                        for p in block.pillars]),
                                       min(dimensions[i].band for i in ids), ids)  # fmt: skip
    overall = _mean([(Fraction(b.weight), blocks[b.id].mean) for b in framework.building_blocks])
    return Score(
        dimensions=dimensions,
        pillars=pillars,
        blocks=blocks,
        overall=overall,
        minimum=min(d.band for d in dimensions.values()),
        conflicts=tuple(conflicts),
        checklists=_checklists(framework, assessment),
        live_metrics=len(evidence.metrics) if evidence else 0,
    )


def _mean(weighted: Sequence[tuple[Fraction, Fraction | int]]) -> Fraction:
    total = sum(w for w, _ in weighted)
    return sum((w * v for w, v in weighted), Fraction(0)) / total if total else Fraction(0)


def _dimension(
    framework: Framework,
    dimension: Dimension,
    assessment: Assessment,
    evidence: EvidenceFile | None,
) -> tuple[DimensionResult, list[Conflict]]:
    criteria = [(band, c) for band in dimension.bands for c in band.criteria]
    na = sum(1 for _, c in criteria if _rating(assessment, c.id) == "na")
    over_cap = na > int(framework.not_applicable.max_share * len(criteria))
    results, conflicts = [], []
    for band, criterion in criteria:
        result, found = _criterion(band, criterion, assessment, evidence, over_cap)
        results.append(result)
        if found is not None:
            conflicts.append(Conflict(criterion.id, dimension.id, result.rating, *found))
    achieved = _band(framework, dimension, results)
    rated = sum(1 for r in results if r.rating is not None)
    following = [r for r in results if r.band == achieved + 1]
    blocking = [r.id for r in following if r.required and r.effective not in {"met", "na"}]
    return DimensionResult(
        id=dimension.id,
        block="",
        pillar="",
        band=achieved,
        progress=_progress(following),
        target=assessment.targets.get(dimension.id),
        criteria=tuple(results),
        blocking=tuple(blocking),
        na_count=na,
        na_over_cap=over_cap,
        rated_share=Fraction(rated, len(results)) if results else Fraction(1),
    ), conflicts


def _rating(assessment: Assessment, criterion: str) -> Rating | None:
    given = assessment.ratings.get(criterion)
    return given.rating if given is not None else None


def _criterion(
    band: Band,
    criterion: Criterion,
    assessment: Assessment,
    evidence: EvidenceFile | None,
    na_over_cap: bool,
) -> tuple[CriterionResult, tuple[LiveCheck, Literal["contradicts", "supports"]] | None]:
    rating = _rating(assessment, criterion.id)
    check = _live(criterion, assessment.date, evidence)
    effective: Rating = rating or "not"
    source: Source = "assessor" if rating is not None else "unrated"
    if rating == "na":
        effective, source = ("not", "na_over_cap") if na_over_cap else ("na", "na")
    conflict: Literal["contradicts", "supports"] | None = None
    if check is not None and check.fresh and rating != "na":
        if not check.passes:
            conflict = "contradicts" if rating in ("met", "partly") else None
            effective, source = "not", "live"
        elif rating is None:
            effective, source = "met", "live"
        elif rating == "not":
            conflict = "supports"
    result = CriterionResult(criterion.id, band.band, criterion.required, rating, effective,
                             source, check)  # fmt: skip
    return result, (check, conflict) if check is not None and conflict is not None else None


def _live(criterion: Criterion, date: dt.date, evidence: EvidenceFile | None) -> LiveCheck | None:
    rule = criterion.auto
    if rule is None or evidence is None or rule.metric not in evidence.metrics:
        return None
    metric = evidence.metrics[rule.metric]
    age = abs((metric.time.date() - date).days)
    return LiveCheck(
        metric=rule.metric,
        value=metric.value,
        rule=f"{rule.metric} {rule.op} {rule.value:g}",
        passes=rule.passes(metric.value),
        fresh=age <= rule.max_age_days,
        time=metric.time,
        source=metric.source,
    )


def _band(framework: Framework, dimension: Dimension, results: list[CriterionResult]) -> int:
    rule = framework.band_rule
    lowest = {band.band: RANK["met"] for band in dimension.bands}  # worst required rating
    for result in results:
        if result.required:
            lowest[result.band] = min(lowest[result.band], RANK[result.effective])
    achieved = 0
    for band in dimension.bands[1:]:
        if lowest[band.band] < RANK[rule.this_band]:
            break
        if any(lowest[b] < RANK[rule.lower_bands] for b in range(1, band.band)):
            break
        achieved = band.band
    return achieved


def _progress(following: list[CriterionResult]) -> Fraction:
    """How far into the next band: its criteria's ratings averaged (N/A left out)."""
    counted = [r for r in following if r.effective != "na"]
    if not counted:
        return Fraction(0)
    return sum((VALUE[r.effective] for r in counted), Fraction(0)) / len(counted)


def _checklists(framework: Framework, assessment: Assessment) -> tuple[ChecklistResult, ...]:
    applies = applicable(framework, assessment)
    out = []
    for checklist in framework.checklists:
        first = next(iter(checklist.states))  # the state of an item not mentioned
        states = {item.id: assessment.checklist.get(item.id, first) for item in checklist.items}
        ids = tuple(item.id for item in checklist.items if applies[item.id])
        out.append(ChecklistResult(
            checklist.id, states, ids,
            tuple(i for i in ids if states[i] in checklist.adopted),
            tuple(i for i in ids if states[i] == "certified"),
        ))  # fmt: skip
    return tuple(out)
