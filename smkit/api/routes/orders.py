"""Job orders by the MES's external id: create or update, start, hold, complete (see
:mod:`smkit.api.orders`). Each write is audited and idempotent."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from smkit.api.audit import Change
from smkit.api.deps import Caller, Reader, ServedDep, require
from smkit.api.errors import NotFound
from smkit.api.machines import machine_named, signal_of
from smkit.api.orders import Command, Order, OrderStatus, command, define
from smkit.api.query import happened, invalid
from smkit.api.roles import Right
from smkit.api.schemas.problems import CONFLICT, REFUSALS
from smkit.api.schemas.times import moment
from smkit.api.served import Served
from smkit.api.store import connected
from smkit.api.writes import apply, recompute_from
from smkit.core.sample import Sample
from smkit.plant.machine import SignalRole

router = APIRouter(tags=["orders"], responses=REFUSALS | CONFLICT)
Integrator = Annotated[Caller, Depends(require(Right.ORDERS))]
OrderId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$",
                              description="The MES's id of the order.")]  # fmt: skip


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    machine: str = Field(min_length=1, max_length=200)
    product: str = Field(min_length=1, max_length=200)
    planned_quantity: int = Field(gt=0, le=10**9)


class CommandIn(BaseModel):
    """When it happened (site time without an offset); now when left out."""

    model_config = ConfigDict(extra="forbid")
    at: dt.datetime | None = None


class OrderEvent(BaseModel):
    status: str
    at: dt.datetime


class OrderView(BaseModel):
    id: str
    machine: str
    product: str
    planned_quantity: int
    status: str
    events: list[OrderEvent]
    changed: bool = False


@router.get("/orders", response_model=list[OrderView])
async def list_orders(
    *, caller: Reader, app: ServedDep, machine: str | None = None,
    status: Annotated[OrderStatus | None, Query()] = None,
) -> list[OrderView]:  # fmt: skip
    """Every job order, or those of a machine or in a status."""
    with connected(app.plant.api.store) as db:
        rows = db.execute("SELECT document FROM job_orders ORDER BY changed_ns").fetchall()
    orders = [Order.of_json(text) for (text,) in rows]
    return [_view(app, order) for order in orders
            if machine in (None, order.machine) and status in (None, order.status)]  # fmt: skip


@router.get("/orders/{order_id}", response_model=OrderView)
async def get_order(*, caller: Reader, app: ServedDep, order_id: OrderId) -> OrderView:
    """One job order with its history."""
    order = _load(app, order_id)
    if order is None:
        raise NotFound(f"no job order {order_id!r}")
    return _view(app, order)


@router.put("/orders/{order_id}", response_model=OrderView)
async def put_order(*, caller: Integrator, app: ServedDep, order_id: OrderId,
                    body: OrderIn) -> OrderView:  # fmt: skip
    """Create the order, or update it (machine and product only before it starts)."""
    _, machine = machine_named(app.plant, body.machine)
    if body.product not in {p.id for p in machine.products}:
        known = ", ".join(p.id for p in machine.products) or "none in plant.yaml"
        raise invalid("product", f"machine {machine.id} has no product {body.product!r} "
                                 f"(known: {known})", where="body")  # fmt: skip
    signal_of(machine, SignalRole.PRODUCT)
    before = _load(app, order_id)
    after = define(before, Order(order_id, body.machine, body.product, body.planned_quantity))
    changed = await apply(app, caller, _change("order.define", before, after), save=_saver(after))
    return _view(app, after, changed)


@router.post("/orders/{order_id}/{what}", response_model=OrderView)
async def order_command(
    *,
    caller: Integrator,
    app: ServedDep,
    order_id: OrderId,
    what: Literal["start", "hold", "complete"],
    body: CommandIn,
) -> OrderView:
    """Start (or resume), hold or complete the order at ``at``; the machine's order and product
    signals follow, and its OEE records from that shift on are recomputed."""
    before = _load(app, order_id)
    if before is None:
        raise NotFound(f"no job order {order_id!r}: create it with PUT first")
    at = None if body.at is None else happened(app.plant, body.at, "at")
    after = command(before, Command(what), at, time.time_ns())
    effect = _effect(app, after, Command(what))
    changed = await apply(app, caller, _change(f"order.{what}", before, after), effect,
                          save=_saver(after))  # fmt: skip
    if changed and effect is not None:
        await recompute_from(app, after.machine, after.events[-1][1])
    return _view(app, after, changed)


def _effect(app: Served, order: Order, what: Command) -> Callable[[], Awaitable[None]] | None:
    """The samples a command writes for the engine, or None (a hold writes none)."""
    if what is Command.HOLD:
        return None
    _, machine = machine_named(app.plant, order.machine)
    at = order.events[-1][1]
    order_signal = next((s.name for s in machine.signals if s.role is SignalRole.ORDER), None)
    samples = (
        []
        if order_signal is None
        else [Sample(machine.id, order_signal, at, order.id if what is Command.START else "")]
    )
    if what is Command.START:
        samples.append(Sample(machine.id, signal_of(machine, SignalRole.PRODUCT), at,
                              order.product))  # fmt: skip

    async def write() -> None:
        await app.historian.write_samples(samples)

    return write


def _load(app: Served, order_id: str) -> Order | None:
    with connected(app.plant.api.store) as db:
        row = db.execute("SELECT document FROM job_orders WHERE id = ?", (order_id,)).fetchone()
    return None if row is None else Order.of_json(row[0])


def _saver(order: Order) -> Callable[[sqlite3.Connection], None]:
    def save(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT OR REPLACE INTO job_orders VALUES (?, ?, ?)",
            (order.id, json.dumps(order.as_json(), sort_keys=True), time.time_ns()),
        )

    return save


def _change(action: str, before: Order | None, after: Order) -> Change:
    return Change(action, f"order/{after.id}", None if before is None else before.as_json(),
                  after.as_json())  # fmt: skip


def _view(app: Served, order: Order, changed: bool = False) -> OrderView:
    zone = ZoneInfo(app.plant.site.timezone)
    return OrderView(id=order.id, machine=order.machine, product=order.product,
                     planned_quantity=order.planned_quantity, status=order.status.value,
                     events=[OrderEvent(status=s, at=moment(at, zone)) for s, at in order.events],
                     changed=changed)  # fmt: skip
