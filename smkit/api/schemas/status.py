"""Live status as the API shows it: a tile's worth per machine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from smkit.api.schemas.oee import kpi_values
from smkit.api.schemas.plant import Text
from smkit.api.schemas.times import moment
from smkit.core.sample import Value
from smkit.core.timeunits import NS_PER_S
from smkit.oee.elements import kpis
from smkit.oee.status import MachineStatus
from smkit.plant.model import Plant

STATUS_KPIS = ("availability", "performance", "quality", "oee")


class StateView(BaseModel):
    category: str
    raw: str | int | float | bool | None
    since: dt.datetime
    since_exact: bool
    reason: str | None
    reason_label: Text | None


class SourceView(BaseModel):
    """The machine's source as its collector last reported it."""

    id: str
    connected: bool | None
    error: str | None
    collector_running: bool


class MachineStatusView(BaseModel):
    machine: str
    area: str
    line: str
    state: StateView | None
    order: str | None
    product: str | None
    period: str
    period_start: dt.datetime
    period_end: dt.datetime
    counts: dict[str, int]
    kpis: dict[str, float | None]
    newest_sample: dt.datetime | None
    newest_sample_age_s: float | None
    source: SourceView | None


class StatusView(BaseModel):
    computed_at: dt.datetime
    machines: list[MachineStatusView]


@dataclass(frozen=True)
class RenderedStatus:
    """The plant's status and its JSON, rendered once for every caller while it is fresh."""

    view: StatusView
    body: bytes

    @classmethod
    def of(cls, view: StatusView) -> RenderedStatus:
        return cls(view, view.model_dump_json().encode())


def status_view(plant: Plant, found: list[MachineStatus], now_ns: int,
                health: dict[str, Any] | None, collector_running: bool) -> StatusView:  # fmt: skip
    """The API's view of every machine's status; ``health`` is the collector's health file."""
    zone = ZoneInfo(plant.site.timezone)
    labels = {r.code: Text(vi=r.label.vi, en=r.label.en) for r in plant.reasons}
    sources = {s["source"]: s for s in (health or {}).get("sources", [])}
    machines = {m.id: m for _, m in plant.machines()}
    exclude = plant.oee.unknown_time == "excluded"
    views = []
    for status in found:
        state = status.state
        e = status.elements
        ratios = kpis(e, exclude_unknown=exclude)
        source_id = machines[status.machine].source
        source = sources.get(source_id) if source_id else None
        views.append(MachineStatusView(
            machine=status.machine, area=status.place.area, line=status.place.line,
            state=None if state is None else StateView(
                category=state.category.value, raw=_plain(state.raw),
                since=moment(state.since_ns, zone), since_exact=state.since_exact,
                reason=state.reason,
                reason_label=labels.get(state.reason) if state.reason else None),
            order=_text(status.order), product=_text(status.product),
            period=" ".join(status.period), period_start=moment(status.period_start_ns, zone),
            period_end=moment(status.period_end_ns, zone),
            counts={"total": e.total, "good": e.good, "rejects": e.rejects, "rework": e.rework},
            kpis=kpi_values(ratios, STATUS_KPIS),
            newest_sample=None if status.newest_sample_ns is None
            else moment(status.newest_sample_ns, zone),
            newest_sample_age_s=None if status.newest_sample_ns is None
            else (now_ns - status.newest_sample_ns) / NS_PER_S,
            source=None if source_id is None else SourceView(
                id=source_id, connected=source["connected"] if source else None,
                error=source["error"] if source else None, collector_running=collector_running),
        ))  # fmt: skip
    return StatusView(computed_at=moment(now_ns, zone), machines=views)


def _plain(value: Value) -> str | int | float | bool | None:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _text(value: Value) -> str | None:
    return None if value is None else str(value)
