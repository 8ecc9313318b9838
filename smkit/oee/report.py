"""Reports assembled from roll-ups (pure): a row per entity and bucket, the loss waterfall and
the downtime Pareto. The CLI, the API and the pages only render what these return."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from smkit.core.timeunits import NS_PER_S
from smkit.oee.elements import Elements, Ratio, flags, kpis
from smkit.oee.rollup import Group
from smkit.plant.machine import Reason

HOUR_S = 3600


@dataclass(frozen=True)
class ReportRow:
    """One entity (machine, line, area, site) in one bucket (shift, hour, day, ...)."""

    period: str
    entity: str
    planned_h: float
    kpis: Mapping[str, Ratio]
    total: int
    good: int
    rejects: int
    rework: int
    failures: int
    no_data: int
    flags: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The row as plain JSON values: KPIs as fractions of one (None with ``<kpi>_missing``
        saying why), counts, flags."""
        out: dict[str, Any] = {"period": self.period, "entity": self.entity,
                               "planned_h": self.planned_h}  # fmt: skip
        for name, value in self.kpis.items():
            out[name] = float(value) if value.known else None
            if value.reason is not None:
                out[f"{name}_missing"] = value.reason
        counts = {
            "total": self.total,
            "good": self.good,
            "rejects": self.rejects,
            "rework": self.rework,
            "failures": self.failures,
            "no_data": self.no_data,
        }
        return {**out, **counts, "flags": list(self.flags)}


def report_rows(groups: Iterable[Group], *, exclude_unknown: bool = False) -> list[ReportRow]:
    """A row per roll-up group, in the groups' order."""
    return [_row(group, exclude_unknown) for group in groups]


def _row(group: Group, exclude_unknown: bool) -> ReportRow:
    e = group.elements
    return ReportRow(
        group.bucket, group.entity, e.planned_ns / HOUR_S / NS_PER_S,
        kpis(e, exclude_unknown=exclude_unknown), e.total, e.good, e.rejects, e.rework,
        e.failures, e.no_data, tuple(flags(e)),
    )  # fmt: skip


@dataclass(frozen=True)
class LossStep:
    """One step of the waterfall of planned time: a loss (or the valuable time) and its share."""

    name: str
    ns: Fraction
    share: Fraction


def waterfall(elements: Elements) -> list[LossStep]:
    """Planned time split into Nakajima's six big losses and the rest, then the valuable time."""
    planned = elements.planned_ns or 1
    steps = [(name.replace("_", " "), ns) for name, ns in elements.losses().items()]
    steps.append(("valuable (fully productive)", Fraction(elements.valuable_ns)))
    return [LossStep(name, ns, ns / planned) for name, ns in steps]


@dataclass(frozen=True)
class ParetoEntry:
    """A downtime reason (or ``(class)`` for stops without one), its time and shares."""

    reason: str
    label: str
    ns: int
    share: Fraction
    cumulative: Fraction


def pareto(
    elements: Elements, reasons: Sequence[Reason], lang: Literal["en", "vi"]
) -> list[ParetoEntry]:
    """Downtime by reason, largest first, with each one's share and the running share."""
    labels = {r.code: getattr(r.label, lang) for r in reasons}
    ranked = sorted(elements.downtime_by_reason.items(), key=lambda item: -item[1])
    down = sum(ns for _, ns in ranked) or 1
    out, running = [], 0
    for reason, ns in ranked:
        running += ns
        out.append(ParetoEntry(reason, labels.get(reason, ""), ns, Fraction(ns, down),
                               Fraction(running, down)))  # fmt: skip
    return out
