"""Signal series between two times, reduced for charts to at most N points per series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from smkit.api.deps import Reader, ServedDep
from smkit.api.query import From, To, chosen_machines, invalid, window
from smkit.api.schemas.problems import REFUSALS
from smkit.core.columns import Column
from smkit.core.reduce import reduce
from smkit.core.sample import Value
from smkit.core.timeunits import NS_PER_MS

router = APIRouter(tags=["series"], responses=REFUSALS)


class SeriesView(BaseModel):
    """One signal, a row per non-empty bucket: its first sample's time (Unix epoch
    milliseconds, as chart libraries take it), min, max (numbers only), last value, count."""

    machine: str
    signal: str
    unit: str | None
    ts_ms: list[int]
    min: list[float | None]
    max: list[float | None]
    last: list[Value]
    count: list[int]


@router.get("/series", response_model=list[SeriesView])
async def series(
    *, caller: Reader, app: ServedDep, machine: str, start: From, end: To = None,
    signals: Annotated[list[str], Query(alias="signal", min_length=1, max_length=20,
                                        description="A signal of the machine (repeat).")],
    points: Annotated[int, Query(ge=1, le=5000, description="At most this many per series.")] = 500,
) -> list[SeriesView]:  # fmt: skip
    """Each signal's samples in [from, to) as min / max / last per time bucket."""
    chosen_machines(app.plant, [machine], None)  # a 422 naming the machine when there is none
    units = {s.name: s.unit for _, m in app.plant.machines() if m.id == machine for s in m.signals}
    for name in signals:
        if name not in units:
            known = ", ".join(units)
            raise invalid("signal", f"machine {machine} has no signal {name!r} (known: {known})")
    start_ns, end_ns, _ = window(app.plant, start, end)
    columns = await app.historian.read_columns(machine, start_ns, end_ns, signals)
    out = []
    for name in dict.fromkeys(signals):
        found = reduce(columns.get(name, Column.empty()), start_ns, end_ns, points)
        out.append(SeriesView(machine=machine, signal=name, unit=units[name],
                              ts_ms=[t // NS_PER_MS for t in found.ts], min=found.minimum,
                              max=found.maximum, last=found.last, count=found.count))  # fmt: skip
    return out
