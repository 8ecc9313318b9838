"""Losses as the API shows them: the waterfall of planned time, the downtime Pareto, and the
maintenance KPIs, from what :mod:`smkit.oee.report` assembled."""

from __future__ import annotations

from pydantic import BaseModel

from smkit.api.schemas.oee import kpi_values
from smkit.api.schemas.plant import Text
from smkit.core.timeunits import NS_PER_S
from smkit.oee.elements import kpis
from smkit.oee.report import pareto, waterfall
from smkit.oee.rollup import Group
from smkit.plant.model import Plant

MAINTENANCE = ("mtbf_s", "mttr_s", "mttf_s")


class LossStepView(BaseModel):
    name: str
    seconds: float
    share: float


class ParetoView(BaseModel):
    """A reason (or ``(class)`` for stops without one), its downtime and shares."""

    reason: str
    label: Text | None
    seconds: float
    share: float
    cumulative: float


class LossesView(BaseModel):
    level: str
    entity: str
    machines: list[str]
    planned_s: float
    waterfall: list[LossStepView]
    pareto: list[ParetoView]
    failures: int
    maintenance: dict[str, float | None]


def losses_view(group: Group, plant: Plant) -> LossesView:
    """The losses of one roll-up group (one entity over the window)."""
    e = group.elements
    labels = {r.code: Text(vi=r.label.vi, en=r.label.en) for r in plant.reasons}
    exclude = plant.oee.unknown_time == "excluded"
    return LossesView(
        level=group.level, entity=group.entity, machines=list(group.machines),
        planned_s=e.planned_ns / NS_PER_S,
        waterfall=[LossStepView(name=step.name, seconds=float(step.ns) / NS_PER_S,
                                share=float(step.share)) for step in waterfall(e)],
        pareto=[ParetoView(reason=entry.reason, label=labels.get(entry.reason),
                           seconds=entry.ns / NS_PER_S, share=float(entry.share),
                           cumulative=float(entry.cumulative))
                for entry in pareto(e, plant.reasons, "en")],
        failures=e.failures,
        maintenance=kpi_values(kpis(e, exclude_unknown=exclude), MAINTENANCE),
    )  # fmt: skip
