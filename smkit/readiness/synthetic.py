"""Generated assessments (deterministic for a seed), for portfolio tests, benchmarks and demos
of the programme view. Each facility gets a plausible profile: a true band per dimension, its
criteria up to that band met, some of the next band's partly met, checklist states to match."""

from __future__ import annotations

import datetime as dt
import random

from smkit.readiness.assessment import (
    Assessment,
    CriterionRating,
    Evidence,
    Facility,
    FrameworkRef,
    Priorities,
)
from smkit.readiness.framework import LoadedFramework

SIZES = ("micro", "small", "medium", "large")


def synthetic_assessment(loaded: LoadedFramework, seed: int) -> Assessment:
    """One made-up facility's assessment of ``loaded``."""
    framework = loaded.framework
    rng = random.Random(seed)
    maturity = rng.uniform(0.3, 3.8)
    ratings: dict[str, CriterionRating] = {}
    targets = {}
    for _, _, dimension in framework.dimensions():
        band = max(0, min(5, round(rng.gauss(maturity, 0.8))))
        targets[dimension.id] = min(5, band + rng.choice((0, 1, 1, 2)))
        for level in dimension.bands[1:]:
            for criterion in level.criteria:
                if level.band <= band:
                    ratings[criterion.id] = CriterionRating(
                        rating="met", evidence=[Evidence(kind=criterion.evidence[0], ref="gen")]
                    )
                elif level.band == band + 1:
                    ratings[criterion.id] = CriterionRating(rating=rng.choice(("partly", "not")))
    checklist = {}
    for group in framework.checklists:
        states = list(group.states)
        for item in group.items:
            checklist[item.id] = states[min(len(states) - 1, int(rng.random() * maturity * 1.6))]
    size = rng.choice(SIZES)
    return Assessment(
        framework=FrameworkRef(id=framework.id, version=framework.version, sha256=loaded.sha256),
        facility=Facility(
            name=f"Enterprise {seed:04d}",
            sector=rng.choice(list(framework.sectors) or ["general_manufacturing"]),
            size=size,
            sme=size != "large",
        ),
        assessor="generated",
        date=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300)),
        priorities=Priorities(
            horizon=rng.choice(list(framework.prioritisation.horizons)),
            kpis=rng.sample(list(framework.prioritisation.kpis), 3),
            costs={"materials": 40.0, "labour": 30.0, "utilities": 10.0},
        ),
        targets=targets,
        ratings=ratings,
        checklist=checklist,
    )
