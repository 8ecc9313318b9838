"""OEE as the API shows it: a row per entity and bucket, with every KPI, time element, count and
flag, and the downtime events. Built from what :mod:`smkit.oee.report` assembled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from smkit.api.schemas.times import moment
from smkit.core.timeunits import NS_PER_S
from smkit.oee.elements import COUNT_FIELDS, IDEAL_FIELDS, TIME_FIELDS, Ratio
from smkit.oee.report import ReportRow
from smkit.oee.rollup import Group
from smkit.oee.stops import Stop


class OeeRow(BaseModel):
    """One machine, line, area or site over one shift, hour, day, week, month or the window.

    KPIs are fractions of one (``mttr_s`` and the like: seconds); a KPI without a value has its
    reason in ``missing``. Times are seconds.
    """

    period: str
    level: str
    entity: str
    start: dt.datetime
    end: dt.datetime
    machines: list[str]
    kpis: dict[str, float | None]
    missing: dict[str, str]
    times_s: dict[str, float]
    counts: dict[str, int]
    downtime_by_reason_s: dict[str, float]
    flags: list[str]


class StopView(BaseModel):
    """A downtime event, measured to its end. ``kind`` is its class (breakdown, small stop,
    setup...); ``open_start``: it was already going where the window begins; ``open_end``: it
    is still going; ``reason_source``: machine, operator (a person gave or changed the reason)
    or none."""

    machine: str
    start: dt.datetime
    end: dt.datetime
    length_s: float
    planned_s: float
    kind: str
    reason: str
    failure: bool
    open_start: bool
    open_end: bool
    reason_source: str


def kpi_values(ratios: Mapping[str, Ratio], names: Iterable[str] | None = None
               ) -> dict[str, float | None]:  # fmt: skip
    """KPIs as plain numbers (None where there is no value: see ``missing`` for why)."""
    chosen = {name: ratios[name] for name in (ratios if names is None else names)}
    return {name: float(ratio) if ratio.known else None for name, ratio in chosen.items()}


def oee_row(group: Group, row: ReportRow, zone: ZoneInfo) -> OeeRow:
    """The API's row of a roll-up group and the report row built from it."""
    e = group.elements
    return OeeRow(
        period=row.period, level=group.level, entity=group.entity,
        start=moment(group.start, zone), end=moment(group.end, zone),
        machines=list(group.machines),
        kpis=kpi_values(row.kpis),
        missing={name: r.reason for name, r in row.kpis.items() if r.reason is not None},
        times_s={name: float(getattr(e, name)) / NS_PER_S for name in TIME_FIELDS + IDEAL_FIELDS},
        counts={name: getattr(e, name) for name in COUNT_FIELDS} | {"no_data": e.no_data},
        downtime_by_reason_s={code: ns / NS_PER_S for code, ns in e.downtime_by_reason.items()},
        flags=list(row.flags),
    )  # fmt: skip


def stop_view(machine: str, stop: Stop, zone: ZoneInfo) -> StopView:
    """The API's view of one stop."""
    return StopView(
        machine=machine, start=moment(stop.start_ns, zone), end=moment(stop.end_ns, zone),
        length_s=stop.length_ns / NS_PER_S, planned_s=stop.planned_ns / NS_PER_S,
        kind=stop.kind, reason=stop.reason, failure=stop.is_failure,
        open_start=stop.open_start, open_end=stop.open_end, reason_source=stop.reason_source,
    )  # fmt: skip
