"""An assessment: the facility, the assessor's ratings with evidence, checklist states, targets
and the enterprise's priorities, as a YAML or JSON file checked against its framework.

Problems are reported with their place in the file: a criterion the framework does not have, a
band out of range, N/A without a reason, a checklist state the item does not take, a framework
that changed since the assessment was made (its hash is recorded in the assessment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, ConfigDict, Field

from smkit.plant.base import ConfigModel, Identifier
from smkit.plant.checks import Problem
from smkit.plant.yamlfile import parse_yaml, read_text, validate_parsed
from smkit.readiness.framework import (
    BANDS,
    EvidenceKind,
    Framework,
    LoadedFramework,
    load_framework,
)

Rating = Literal["met", "partly", "not", "na"]
_EMPTY = BeforeValidator(lambda value: {} if value is None else value)  # a key with only comments
Size = Literal["micro", "small", "medium", "large"]


class FrameworkRef(ConfigModel):
    """Which framework version the assessment was made with, and the hash of its file."""

    id: Identifier
    version: str
    sha256: str | None = None


class Evidence(ConfigModel):
    """What backs a rating: a document, a record, an observation, an interview."""

    kind: EvidenceKind
    ref: str
    note: str = ""


class CriterionRating(ConfigModel):
    """The assessor's rating of one criterion."""

    rating: Rating
    reason: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    note: str = ""
    assessor: str | None = None
    date: dt.date | None = None


class Facility(ConfigModel):
    """The enterprise and plant assessed."""

    name: str = Field(min_length=1)
    sector: Identifier
    size: Size
    sme: bool
    employees: int | None = Field(default=None, ge=0)
    province: str = ""
    export_products: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    lines: list[str] = Field(default_factory=list)


class Priorities(ConfigModel):
    """The KPIs the enterprise wants to move, its cost structure (% of cost), its horizon."""

    horizon: Identifier = "tactical"
    kpis: list[Identifier] = Field(default_factory=list)
    costs: dict[Identifier, float] = Field(default_factory=dict)


class Assessment(ConfigModel):
    """A whole assessment file."""

    schema_version: Literal[1] = 1
    framework: FrameworkRef
    facility: Facility
    assessor: str = Field(min_length=1)
    date: dt.date
    priorities: Priorities = Field(default_factory=Priorities)
    targets: Annotated[dict[Identifier, int], _EMPTY] = Field(default_factory=dict)
    ratings: Annotated[dict[str, CriterionRating], _EMPTY] = Field(default_factory=dict)
    checklist: Annotated[dict[str, Identifier], _EMPTY] = Field(default_factory=dict)


def load_assessment(path: str | Path, framework: LoadedFramework) -> Assessment:
    """Read an assessment and check it against ``framework``; ConfigError lists every problem."""
    return parse_assessment(read_text(Path(path)), str(path), framework)


def parse_assessment(
    text: str | tuple[yaml.Node | None, Any], name: str, framework: LoadedFramework
) -> Assessment:
    """Validate assessment YAML (or JSON) text, or the file as parsed, against its framework."""
    parsed = parse_yaml(text, name) if isinstance(text, str) else text
    what = "'framework', 'facility' and 'ratings'"
    document = validate_parsed(parsed, name, Assessment, what)
    problems = assessment_problems(document.model, framework)
    if problems:
        raise document.error(problems)
    return document.model


def assessment_problems(assessment: Assessment, loaded: LoadedFramework) -> list[Problem]:
    """Everything an assessment says that its framework does not allow."""
    framework = loaded.framework
    problems = _framework_problems(assessment.framework, loaded)
    if problems:
        return problems
    problems += _rating_problems(assessment, framework)
    sector = assessment.facility.sector
    if framework.sectors and sector not in framework.sectors:
        message = _unknown("sector", sector, framework.sectors)
        problems.append(
            (("facility", "sector"), f"{message} (known: {', '.join(framework.sectors)})")
        )
    for dimension, band in assessment.targets.items():
        if dimension not in framework.dimension_by_id:
            known = framework.dimension_by_id
            problems.append((("targets", dimension), _unknown("dimension", dimension, known)))
        elif band not in BANDS:
            problems.append((("targets", dimension), f"band {band} is out of range (0 to 5)"))
    for item, state in assessment.checklist.items():
        found = framework.item_by_id.get(item)
        if found is None:
            problems.append((("checklist", item), _unknown("checklist item", item,
                                                           framework.item_by_id)))  # fmt: skip
        elif state not in found[0].states:
            problems.append((("checklist", item), f"state {state!r} is not allowed for {item} "
                             f"(allowed: {', '.join(found[0].states)})"))  # fmt: skip
    problems += _priority_problems(assessment, framework)
    return problems


def _framework_problems(ref: FrameworkRef, loaded: LoadedFramework) -> list[Problem]:
    framework = loaded.framework
    if (ref.id, ref.version) != (framework.id, framework.version):
        return [(("framework",), f"made with {ref.id} {ref.version}, but the framework given is "
                                 f"{framework.id} {framework.version}")]  # fmt: skip
    if ref.sha256 is not None and ref.sha256 != loaded.sha256:
        return [(("framework", "sha256"), f"the framework {ref.id} {ref.version} changed since "
                 f"this assessment was made (hash {ref.sha256[:12]}..., now "
                 f"{loaded.sha256[:12]}...); a changed framework needs a new version")]  # fmt: skip
    return []


def _rating_problems(assessment: Assessment, framework: Framework) -> list[Problem]:
    problems: list[Problem] = []
    for criterion, rating in assessment.ratings.items():
        if criterion not in framework.criterion_by_id:
            known = framework.criterion_by_id
            problems.append((("ratings", criterion), _unknown("criterion", criterion, known)))
        elif rating.rating == "na" and not rating.reason.strip():
            problems.append((("ratings", criterion, "rating"),
                             "N/A needs a reason (give 'reason: ...')"))  # fmt: skip
    return problems


def _priority_problems(assessment: Assessment, framework: Framework) -> list[Problem]:
    problems: list[Problem] = []
    prioritisation = framework.prioritisation
    priorities = assessment.priorities
    if priorities.horizon not in prioritisation.horizons:
        problems.append((("priorities", "horizon"), _unknown("horizon", priorities.horizon,
                                                             prioritisation.horizons)))  # fmt: skip
    for n, kpi in enumerate(priorities.kpis):
        if kpi not in prioritisation.kpis:
            problems.append((("priorities", "kpis", n), _unknown("KPI category", kpi,
                                                                 prioritisation.kpis)))  # fmt: skip
    for cost, share in priorities.costs.items():
        if cost not in prioritisation.costs:
            message = _unknown("cost category", cost, prioritisation.costs)
            problems.append((("priorities", "costs", cost), message))
        elif not 0 <= share <= 100:
            problems.append((("priorities", "costs", cost), f"{share} is not a share of 0 to 100"))
    if sum(priorities.costs.values()) > 100.5:
        problems.append((("priorities", "costs"), "cost shares add up to more than 100 %"))
    return problems


def _unknown(what: str, name: str, known: Mapping[str, object]) -> str:
    close = get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"the framework has no {what} {name!r}{hint}"


def applicable(framework: Framework, assessment: Assessment) -> dict[str, bool]:
    """Whether each checklist item applies to the facility's sector (an empty list: all)."""
    sector = assessment.facility.sector
    return {
        item.id: not item.sectors or sector in item.sectors
        for checklist in framework.checklists
        for item in checklist.items
    }


def open_assessment(
    path: str | Path, framework: str | Path | None = None
) -> tuple[LoadedFramework, Assessment]:
    """An assessment file and its framework (the one it names, unless ``framework`` is given)."""
    parsed = parse_yaml(read_text(Path(path)), str(path))
    if framework is None:
        framework = validate_parsed(parsed, str(path), _Named, "'framework'").model.framework.id
    loaded = load_framework(framework)
    return loaded, parse_assessment(parsed, str(path), loaded)


class _Named(ConfigModel):
    """Just enough of an assessment to know its framework."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    framework: FrameworkRef
