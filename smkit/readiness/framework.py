"""A readiness framework as data: building blocks, pillars, dimensions, bands 0-5, criteria,
checklists and prioritisation data, every user-facing text in Vietnamese and English.

``sectors`` names the sectors an assessment may give (checklist items may apply to some only).
A band counts for a dimension when its required criteria and those of every lower band are
met (``band_rule`` says how well "met" must be: ``met`` or at least ``partly``). Band 0 is the
floor every facility stands on: it has no criteria. Criteria may name an automatic metric (from
the plant's own data) with a pass rule and a maximum age; the metric supports or caps the
assessor's rating, never replaces it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field

from smkit.errors import ConfigError
from smkit.plant.base import ConfigModel, Identifier, LocalText
from smkit.plant.checks import Problem
from smkit.plant.yamlfile import read_text, validate_yaml

BANDS = range(6)
EvidenceKind = Literal["document", "record", "observation", "interview", "live_metric"]
RatingLevel = Literal["met", "partly"]
Comparison = Literal[">=", "<=", ">", "<", "=="]


class AutoRule(ConfigModel):
    """A criterion checked on live data: ``metric op value``, no older than ``max_age_days``."""

    metric: Identifier
    op: Comparison
    value: float
    max_age_days: float = Field(default=30.0, gt=0)

    def passes(self, measured: float) -> bool:
        """Whether a measured value meets the rule."""
        return {
            ">=": measured >= self.value,
            "<=": measured <= self.value,
            ">": measured > self.value,
            "<": measured < self.value,
            "==": measured == self.value,
        }[self.op]


class Criterion(ConfigModel):
    """One thing an assessor checks to grant a band."""

    id: Identifier
    text: LocalText
    required: bool = True
    evidence: list[EvidenceKind] = Field(default_factory=lambda: list[EvidenceKind](["document"]))
    auto: AutoRule | None = None


class Band(ConfigModel):
    """What a facility shows at one band of a dimension, and how to get there."""

    band: int = Field(ge=0, le=5)
    summary: LocalText
    criteria: list[Criterion] = Field(default_factory=list)
    actions: list[LocalText] = Field(default_factory=list)
    requires: dict[Identifier, int] = Field(default_factory=dict)


class Dimension(ConfigModel):
    """A dimension: six bands, 0 to 5, each with its criteria."""

    id: Identifier
    name: LocalText
    description: LocalText
    weight: float = Field(default=1.0, gt=0)
    bands: list[Band]


class Pillar(ConfigModel):
    """A pillar groups dimensions."""

    id: Identifier
    name: LocalText
    weight: float = Field(default=1.0, gt=0)
    dimensions: list[Dimension] = Field(min_length=1)


class BuildingBlock(ConfigModel):
    """A building block groups pillars."""

    id: Identifier
    name: LocalText
    weight: float = Field(default=1.0, gt=0)
    pillars: list[Pillar] = Field(min_length=1)


class BandRule(ConfigModel):
    """How well criteria must be rated for a band to count."""

    this_band: RatingLevel = "met"
    lower_bands: RatingLevel = "met"


class NotApplicable(ConfigModel):
    """N/A needs a reason; above ``max_share`` of a dimension's criteria it is not accepted."""

    max_share: float = Field(default=0.2, ge=0, le=1)


class ChecklistItem(ConfigModel):
    """A management system, improvement tool or digital system an enterprise may adopt."""

    id: Identifier
    name: LocalText
    certifiable: bool = False
    sectors: list[Identifier] = Field(default_factory=list)
    supports: dict[Identifier, int] = Field(default_factory=dict)


class Checklist(ConfigModel):
    """A group of items, each in one of ``states``; ``adopted`` states count as adoption."""

    id: Identifier
    name: LocalText
    states: dict[Identifier, LocalText]
    adopted: list[Identifier]
    items: list[ChecklistItem] = Field(min_length=1)


class Relevance(ConfigModel):
    """How much raising a dimension moves each KPI and cost category (0, 1 or 3)."""

    kpi: dict[Identifier, int] = Field(default_factory=dict)
    cost: dict[Identifier, int] = Field(default_factory=dict)


class HorizonWeights(ConfigModel):
    """Weights of KPI relevance, cost relevance and the gap itself in a roadmap's priority."""

    kpi: float = Field(ge=0)
    cost: float = Field(ge=0)
    gap: float = Field(ge=0)


class Prioritisation(ConfigModel):
    """Data behind the roadmap: KPI and cost categories, relevance, horizon weights."""

    kpis: dict[Identifier, LocalText]
    costs: dict[Identifier, LocalText]
    relevance: dict[Identifier, Relevance] = Field(default_factory=dict)
    horizons: dict[Identifier, HorizonWeights]


class Reference(ConfigModel):
    """A source the framework is aligned with (not copied from)."""

    id: Identifier
    title: str
    note: LocalText


class Framework(ConfigModel):
    """A whole framework, as loaded from its YAML file."""

    schema_version: Literal[1] = 1
    id: Identifier
    version: str
    name: LocalText
    description: LocalText
    references: list[Reference] = Field(default_factory=list)
    band_names: dict[int, LocalText]
    band_rule: BandRule = Field(default_factory=BandRule)
    not_applicable: NotApplicable = Field(default_factory=NotApplicable)
    sectors: dict[Identifier, LocalText] = Field(default_factory=dict)
    building_blocks: list[BuildingBlock] = Field(min_length=1)
    checklists: list[Checklist] = Field(default_factory=list)
    prioritisation: Prioritisation

    def dimensions(self) -> Iterator[tuple[BuildingBlock, Pillar, Dimension]]:
        """Every dimension with its block and pillar, in framework order."""
        for block in self.building_blocks:
            for pillar in block.pillars:
                for dimension in pillar.dimensions:
                    yield block, pillar, dimension

    @cached_property
    def dimension_by_id(self) -> dict[str, Dimension]:
        """Dimensions by id."""
        return {d.id: d for _, _, d in self.dimensions()}

    @cached_property
    def criterion_by_id(self) -> dict[str, tuple[Dimension, Band, Criterion]]:
        """Criteria by id, with their dimension and band."""
        return {
            c.id: (d, b, c) for _, _, d in self.dimensions() for b in d.bands for c in b.criteria
        }

    @cached_property
    def item_by_id(self) -> dict[str, tuple[Checklist, ChecklistItem]]:
        """Checklist items by id, with their checklist."""
        return {item.id: (c, item) for c in self.checklists for item in c.items}


class LoadedFramework(ConfigModel):
    """A framework and the SHA-256 of its file: an assessment records the hash it was made with."""

    framework: Framework
    sha256: str


BUNDLED = "smkit.readiness.frameworks"


def bundled_frameworks() -> dict[str, Path]:
    """The frameworks shipped with smkit, by file stem."""
    folder = resources.files(BUNDLED)
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


def load_framework(name_or_path: str | Path) -> LoadedFramework:
    """A bundled framework by id (``smr-vn``) or a framework file; ConfigError when wrong."""
    shipped = bundled_frameworks()
    path = shipped.get(str(name_or_path)) or Path(name_or_path)
    if not path.exists():
        known = ", ".join(sorted(shipped))
        raise ConfigError(f"{name_or_path}: no such framework file or bundled framework "
                          f"(bundled: {known})")  # fmt: skip
    return _load(path.resolve(), path.stat().st_mtime_ns, path.stat().st_size, str(path))


@functools.lru_cache(maxsize=16)
def _load(resolved: Path, mtime_ns: int, size: int, name: str) -> LoadedFramework:
    """A framework file, parsed once per version of the file (a portfolio reads it once)."""
    return parse_framework(read_text(resolved), name)


def parse_framework(text: str, name: str) -> LoadedFramework:
    """Validate framework YAML text; every problem is reported with its place."""
    document = validate_yaml(text, name, Framework, "'id', 'building_blocks' and 'prioritisation'")
    problems = framework_problems(document.model)
    if problems:
        raise document.error(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedFramework(framework=document.model, sha256=digest)


def framework_problems(framework: Framework) -> list[Problem]:
    """Cross-checks pydantic cannot do: bands, unique ids, references between parts."""
    problems: list[Problem] = []
    seen: set[str] = set()
    dimension_ids = set()
    for b, block in enumerate(framework.building_blocks):
        for p, pillar in enumerate(block.pillars):
            for d, dimension in enumerate(pillar.dimensions):
                loc = ("building_blocks", b, "pillars", p, "dimensions", d)
                problems += _band_problems(dimension, loc)
                dimension_ids.add(dimension.id)
                for n, band in enumerate(dimension.bands):
                    for c, criterion in enumerate(band.criteria):
                        if criterion.id in seen:
                            where = (*loc, "bands", n, "criteria", c, "id")
                            problems.append((where, f"criterion id {criterion.id!r} is used twice"))
                        seen.add(criterion.id)
    problems += _reference_problems(framework, dimension_ids)
    missing = sorted(set(BANDS) - set(framework.band_names))
    if missing:
        problems.append((("band_names",), f"names missing for bands {missing}"))
    return problems


def _band_problems(dimension: Dimension, loc: tuple[str | int, ...]) -> list[Problem]:
    numbers = [band.band for band in dimension.bands]
    if numbers != list(BANDS):
        return [((*loc, "bands"), f"dimension {dimension.id!r} must list bands 0, 1, 2, 3, 4, 5 "
                                  f"in order, once each; it lists {numbers}")]  # fmt: skip
    problems: list[Problem] = []
    if dimension.bands[0].criteria:
        problems.append(((*loc, "bands", 0, "criteria"), "band 0 is the floor: no criteria"))
    for n, band in enumerate(dimension.bands[1:], start=1):
        if not any(c.required for c in band.criteria):
            problems.append(((*loc, "bands", n, "criteria"),
                             f"band {n} of {dimension.id!r} needs at least one required "
                             "criterion"))  # fmt: skip
    return problems


def _reference_problems(framework: Framework, dimension_ids: set[str]) -> list[Problem]:
    known = ", ".join(sorted(dimension_ids))
    problems: list[Problem] = [
        (("building_blocks",), f"{dimension.id} band {band.band} requires {other}: {level}; "
                               f"known dimensions: {known}")
        for _, _, dimension in framework.dimensions() for band in dimension.bands
        for other, level in band.requires.items()
        if other not in dimension_ids or level not in BANDS
    ]  # fmt: skip
    for c, checklist in enumerate(framework.checklists):
        states = ", ".join(checklist.states)
        problems += [(("checklists", c, "adopted", a), f"{state!r} is not one of: {states}")
                     for a, state in enumerate(checklist.adopted)
                     if state not in checklist.states]  # fmt: skip
        problems += [(("checklists", c, "items", i, "supports"),
                      f"no dimension {other!r} (known: {known})")
                     for i, item in enumerate(checklist.items) for other in item.supports
                     if other not in dimension_ids]  # fmt: skip
        problems += [(("checklists", c, "items", i, "sectors"), f"no sector {sector!r} in "
                      f"'sectors' (known: {', '.join(framework.sectors)})")
                     for i, item in enumerate(checklist.items) for sector in item.sectors
                     if framework.sectors and sector not in framework.sectors]  # fmt: skip
    return problems + _relevance_problems(framework.prioritisation, dimension_ids)


def _relevance_problems(prioritisation: Prioritisation, dimension_ids: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for dimension_id, relevance in prioritisation.relevance.items():
        where: tuple[str | int, ...] = ("prioritisation", "relevance", dimension_id)
        if dimension_id not in dimension_ids:
            problems.append((where, f"no dimension {dimension_id!r}"))
        for kind, allowed in (("kpi", prioritisation.kpis), ("cost", prioritisation.costs)):
            for key in getattr(relevance, kind):
                if key not in allowed:
                    problems.append(((*where, kind, key), f"no {kind} category {key!r} "
                                     f"(known: {', '.join(allowed)})"))  # fmt: skip
    return problems
