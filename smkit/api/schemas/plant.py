"""The plant as the API shows it: the hierarchy, signals, products, reasons and coming shifts.

Built from plant.yaml by :func:`plant_view`; connection details (addresses, sources, secrets'
variable names, storage) are not shown.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from smkit.api.schemas.times import moment
from smkit.core.timeunits import DAY_NS, NS_PER_S
from smkit.plant.machine import Machine
from smkit.plant.model import Plant
from smkit.plant.schedule import shift_windows


class Text(BaseModel):
    """A user-facing text in Vietnamese and English."""

    vi: str
    en: str


class SignalView(BaseModel):
    name: str
    role: str
    type: str | None
    unit: str | None


class ProductView(BaseModel):
    id: str
    name: str | None
    ideal_cycle_time_s: float
    units_per_cycle: int


class ShiftView(BaseModel):
    """One coming occurrence of a shift: its span and its planned production time."""

    shift: str
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    planned_s: float


class MachineView(BaseModel):
    id: str
    name: str | None
    site: str
    area: str
    line: str
    signals: list[SignalView]
    products: list[ProductView]
    default_product: str | None


class LineView(BaseModel):
    id: str
    name: str | None
    calendar: str | None
    machines: list[MachineView]
    coming_shifts: list[ShiftView]


class AreaView(BaseModel):
    id: str
    name: str | None
    lines: list[LineView]


class ReasonView(BaseModel):
    code: str
    label: Text
    category: str
    iso_element: str
    is_failure: bool


class PlantView(BaseModel):
    site: str
    name: str | None
    enterprise: str | None
    timezone: str
    areas: list[AreaView]
    reasons: list[ReasonView]


def plant_view(plant: Plant, now_ns: int, ahead_ns: int) -> PlantView:
    """The plant, with each line's current shift and those starting before now + ahead."""
    site = plant.site
    areas = []
    for area in site.areas:
        lines = []
        for line in area.lines:
            machines = [_machine(m, site.id, area.id, line.id) for m in line.machines]
            calendar = line.calendar or site.calendar
            shifts = [] if calendar is None else _coming(plant, calendar, now_ns, ahead_ns)
            lines.append(LineView(id=line.id, name=line.name, calendar=calendar,
                                  machines=machines, coming_shifts=shifts))  # fmt: skip
        areas.append(AreaView(id=area.id, name=area.name, lines=lines))
    reasons = [ReasonView(code=r.code, label=Text(vi=r.label.vi, en=r.label.en),
                          category=r.category.value, iso_element=r.iso_element,
                          is_failure=r.is_failure) for r in plant.reasons]  # fmt: skip
    return PlantView(site=site.id, name=site.name, enterprise=site.enterprise,
                     timezone=site.timezone, areas=areas, reasons=reasons)  # fmt: skip


def _machine(machine: Machine, site: str, area: str, line: str) -> MachineView:
    return MachineView(
        id=machine.id, name=machine.name, site=site, area=area, line=line,
        signals=[SignalView(name=s.name, role=s.role.value, type=s.type, unit=s.unit)
                 for s in machine.signals],
        products=[ProductView(id=p.id, name=p.name, ideal_cycle_time_s=p.ideal_cycle_time_s,
                              units_per_cycle=p.units_per_cycle) for p in machine.products],
        default_product=machine.default_product,
    )  # fmt: skip


def _coming(plant: Plant, calendar_id: str, now_ns: int, ahead_ns: int) -> list[ShiftView]:
    """The shift going on now and those starting before now + ahead, whole (planned downtime of
    one machine is not shown here)."""
    zone = ZoneInfo(plant.site.timezone)
    calendar = plant.calendars[calendar_id]
    span = (now_ns - DAY_NS, now_ns + ahead_ns + DAY_NS)  # wider: no shift of ours is clipped
    windows = shift_windows(calendar, plant.site.timezone, *span)
    return [ShiftView(shift=w.shift, day=w.day, start=moment(w.start, zone),
                      end=moment(w.end, zone), planned_s=w.planned_ns / NS_PER_S)
            for w in windows if w.end > now_ns and w.start < now_ns + ahead_ns]  # fmt: skip
