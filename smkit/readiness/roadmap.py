"""A prioritised roadmap: which dimension to raise next, one band at a time.

Each step raises one dimension by one band. Among the dimensions below their target, the next
step is the one with the highest priority whose next band's prerequisites (``requires`` in the
framework) are met; a prerequisite not met makes the dimension it names a candidate too (an
enabling step), up to the band required. Priority, for the enterprise's planning horizon::

    priority = w_kpi * kpi_relevance + w_cost * cost_relevance + w_gap * gap / 5

``kpi_relevance`` is the framework's relevance (0, 1 or 3) of the dimension to each KPI the
enterprise chose, summed and divided by 3 x the number chosen; ``cost_relevance`` the relevance
to each cost category weighted by its share of the enterprise's cost, divided by 3 x 100. All
three terms lie in [0, 1]. Ties go to the framework's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from smkit.plant.base import LocalText
from smkit.readiness.assessment import Assessment
from smkit.readiness.framework import Framework
from smkit.readiness.scoring import Score

PHASES = ((3, 1), (7, 2))  # the first 3 steps are phase 1, the next 4 phase 2, the rest 3


@dataclass(frozen=True)
class Step:
    """Raise ``dimension`` from ``from_band`` to ``to_band``: why, what to meet, what to do."""

    number: int
    phase: int
    dimension: str
    from_band: int
    to_band: int
    priority: Fraction
    criteria: tuple[str, ...]
    actions: tuple[LocalText, ...]
    enables: tuple[str, ...]


def roadmap(
    framework: Framework, assessment: Assessment, scored: Score, max_steps: int = 24
) -> list[Step]:
    """The steps from the current bands to the targets, in the order to take them."""
    bands = {d: r.band for d, r in scored.dimensions.items()}
    goals = {d: r.target or 0 for d, r in scored.dimensions.items()}
    order = list(framework.dimension_by_id)
    base = _relevance(framework, assessment)
    w_gap = Fraction(str(framework.prioritisation.horizons[assessment.priorities.horizon].gap))

    def priority(dimension: str, gap: int) -> Fraction:
        return base[dimension] + w_gap * Fraction(gap, 5)

    steps: list[Step] = []
    while len(steps) < max_steps:
        wanted = [d for d in order if bands[d] < goals[d]]
        if not wanted:
            break
        blocked: dict[str, list[str]] = {}
        for dimension in wanted:
            for other, level in _requires(framework, dimension, bands[dimension] + 1).items():
                if bands[other] < level:
                    goals[other] = max(goals[other], level)
                    blocked.setdefault(other, []).append(dimension)
        ready = [d for d in order if bands[d] < goals[d] and _possible(framework, bands, d)]
        if not ready:
            break
        chosen = max(ready, key=lambda d: (priority(d, goals[d] - bands[d]), -order.index(d)))
        value = priority(chosen, max(1, goals[chosen] - bands[chosen]))
        steps.append(_step(framework, scored, chosen, bands[chosen], len(steps) + 1,
                           (value, blocked.get(chosen, []))))  # fmt: skip
        bands[chosen] += 1
    return steps


def _possible(framework: Framework, bands: dict[str, int], dimension: str) -> bool:
    needed = _requires(framework, dimension, bands[dimension] + 1)
    return all(bands[other] >= level for other, level in needed.items())


def _requires(framework: Framework, dimension: str, band: int) -> dict[str, int]:
    bands = framework.dimension_by_id[dimension].bands
    return bands[band].requires if band < len(bands) else {}


def _relevance(framework: Framework, assessment: Assessment) -> dict[str, Fraction]:
    """Each dimension's weighted KPI and cost relevance to this enterprise (fixed per plan)."""
    prioritisation = framework.prioritisation
    weights = prioritisation.horizons[assessment.priorities.horizon]
    kpis = assessment.priorities.kpis
    shares = [(c, Fraction(str(s))) for c, s in assessment.priorities.costs.items()]
    w_kpi, w_cost = Fraction(str(weights.kpi)), Fraction(str(weights.cost))
    out = {}
    for dimension in framework.dimension_by_id:
        relevance = prioritisation.relevance.get(dimension)
        kpi = cost = Fraction(0)
        if relevance is not None and kpis:
            kpi = Fraction(sum(relevance.kpi.get(k, 0) for k in kpis), 3 * len(kpis))
        if relevance is not None:
            cost = sum((relevance.cost.get(c, 0) * s for c, s in shares), Fraction(0)) / 300
        out[dimension] = w_kpi * kpi + w_cost * cost
    return out


def _step(  # noqa: PLR0917 - one step's inputs, each needed
    framework: Framework,
    scored: Score,
    dimension: str,
    band: int,
    number: int,
    why: tuple[Fraction, list[str]],
) -> Step:
    target = framework.dimension_by_id[dimension].bands[band + 1]
    results = {r.id: r for r in scored.dimensions[dimension].criteria}
    open_criteria = tuple(
        c.id for c in target.criteria if c.required and results[c.id].effective not in {"met", "na"}
    )
    phase = next((p for limit, p in PHASES if number <= limit), 3)
    priority, enables = why
    return Step(number, phase, dimension, band, band + 1, priority, open_criteria,
                tuple(target.actions), tuple(sorted(set(enables))))  # fmt: skip
