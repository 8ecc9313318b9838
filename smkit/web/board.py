"""The plant board: a tile per machine, grouped by line, built from the live status the API
serves (one computation per ``api.live_refresh`` for every screen) and the job orders'
progress."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from smkit.api.orders import Order, OrderStatus
from smkit.api.schemas.plant import Text
from smkit.api.schemas.status import MachineStatusView, StatusView
from smkit.api.served import Served
from smkit.api.store import connected
from smkit.oee.runner import window_elements
from smkit.plant.model import KpiTargets, Plant

STALE_AFTER_S = 300.0
"""A machine whose newest sample is older than this is shown as not reporting."""


@dataclass(frozen=True)
class Progress:
    """Units of a running job order made so far (from the OEE engine) against its plan."""

    good: int
    planned: int

    @property
    def share(self) -> float:
        return min(self.good / self.planned, 1.0)


@dataclass(frozen=True)
class Tile:
    """What a machine's tile shows."""

    machine: str
    name: str
    state: str
    since: dt.datetime | None
    reason: Text | None
    order: str | None
    product: str | None
    progress: Progress | None
    kpis: dict[str, float | None]
    reporting: bool
    source_down: bool


@dataclass(frozen=True)
class LineTiles:
    area: str
    line: str
    name: str
    tiles: tuple[Tile, ...]


def board_of(plant: Plant, status: StatusView, progress: dict[str, Progress]) -> list[LineTiles]:
    """Every line with its machines' tiles, in plant.yaml's order."""
    by_machine = {m.machine: m for m in status.machines}
    out = []
    for area in plant.site.areas:
        for line in area.lines:
            tiles = tuple(_tile(machine.id, machine.name or machine.id, by_machine.get(machine.id),
                                progress.get(machine.id)) for machine in line.machines)  # fmt: skip
            out.append(LineTiles(area.id, line.id, line.name or line.id, tiles))
    return out


def _tile(machine: str, name: str, found: MachineStatusView | None,
          progress: Progress | None) -> Tile:  # fmt: skip
    if found is None or found.state is None:
        return Tile(machine, name, "none", None, None, None, None, None, {}, False, False)
    age = found.newest_sample_age_s
    source = found.source
    return Tile(
        machine, name, found.state.category, found.state.since, found.state.reason_label,
        found.order, found.product, progress, found.kpis,
        reporting=age is not None and age <= STALE_AFTER_S,
        source_down=source is not None and source.connected is False,
    )  # fmt: skip


def kpi_class(value: float | None, target: float) -> str:
    """``good`` from the target, ``fair`` from 60 %, else ``poor`` (``none`` without a value)."""
    if value is None:
        return "none"
    return "good" if value >= target else "fair" if value >= 0.6 else "poor"


def target_of(targets: KpiTargets, kpi: str) -> float:
    value: float = getattr(targets, kpi)
    return value


def running_orders(plant: Plant, ids: Sequence[str]) -> dict[str, Order]:
    """The started job orders among ``ids`` by machine (orders live in the API's store)."""
    if not ids:
        return {}
    try:
        with connected(plant.api.store) as db:
            marks = ",".join("?" * len(ids))
            rows = db.execute(f"SELECT document FROM job_orders WHERE id IN ({marks})",
                              list(ids)).fetchall()  # fmt: skip
    except sqlite3.Error:
        return {}
    orders = [Order.of_json(text) for (text,) in rows]
    return {o.machine: o for o in orders if o.status is OrderStatus.STARTED}


async def orders_progress(served: Served, status: StatusView, now_ns: int) -> dict[str, Progress]:
    """Good units made on each machine's running order since it started, against its plan."""
    ids = [m.order for m in status.machines if m.order]
    out = {}
    for machine, order in running_orders(served.plant, ids).items():
        started = max((at for state, at in order.events if state == OrderStatus.STARTED),
                      default=None)  # fmt: skip
        if started is None:
            continue
        made = await window_elements(served.plant, served.historian, machine, started, now_ns)
        out[machine] = Progress(made.good, order.planned_quantity)
    return out
