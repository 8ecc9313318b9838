"""Job orders, ISA-95 style, by the MES's own id: created, started, held, started again,
completed. Pure: what a command does to an order, or why it may not (a conflict).

An order's effect on the engine is written by the route: when it starts, the machine's
``order`` and ``product`` signals take its id and product at that instant (so performance is
priced by the product really made); when it completes, the ``order`` signal is emptied.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from smkit.api.errors import Conflict


class OrderStatus(StrEnum):
    CREATED = "created"
    STARTED = "started"
    HELD = "held"
    COMPLETED = "completed"


class Command(StrEnum):
    START = "start"
    HOLD = "hold"
    COMPLETE = "complete"


@dataclass(frozen=True)
class Order:
    """A job order. ``events`` lists every status change as (status, instant in UTC ns)."""

    id: str
    machine: str
    product: str
    planned_quantity: int
    status: OrderStatus = OrderStatus.CREATED
    events: tuple[tuple[str, int], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "events": [list(event) for event in self.events]}

    @classmethod
    def of_json(cls, text: str) -> Order:
        data = json.loads(text)
        return cls(
            data["id"],
            data["machine"],
            data["product"],
            data["planned_quantity"],
            OrderStatus(data["status"]),
            tuple((s, at) for s, at in data["events"]),
        )


_ALLOWED = {
    Command.START: {OrderStatus.CREATED, OrderStatus.HELD},
    Command.HOLD: {OrderStatus.STARTED},
    Command.COMPLETE: {OrderStatus.STARTED, OrderStatus.HELD},
}
_RESULT = {Command.START: OrderStatus.STARTED, Command.HOLD: OrderStatus.HELD,
           Command.COMPLETE: OrderStatus.COMPLETED}  # fmt: skip


def define(existing: Order | None, wanted: Order) -> Order:
    """Create the order or update what may still change: the planned quantity always, the
    machine and product only before it starts."""
    if existing is None:
        return wanted
    moved = (existing.machine, existing.product) != (wanted.machine, wanted.product)
    if moved and existing.status is not OrderStatus.CREATED:
        raise Conflict(f"order {existing.id} is {existing.status.value}: its machine and product "
                       "can no longer change (create a new order)")  # fmt: skip
    return replace(existing, machine=wanted.machine, product=wanted.product,
                   planned_quantity=wanted.planned_quantity)  # fmt: skip


def command(order: Order, what: Command, at_ns: int | None, now_ns: int) -> Order:
    """The order after ``what`` at ``at_ns`` (default: now). Repeating the command that made
    the order's status (at the same instant, or with none given) changes nothing."""
    result = _RESULT[what]
    last = order.events[-1] if order.events else None
    if order.status is result and last is not None and at_ns in (None, last[1]):
        return order
    if order.status not in _ALLOWED[what]:
        raise Conflict(
            f"order {order.id} is {order.status.value}: it cannot {what.value} "
            f"(from {', '.join(sorted(s.value for s in _ALLOWED[what]))} only)"
        )
    at = now_ns if at_ns is None else at_ns
    if last is not None and at < last[1]:
        raise Conflict(f"order {order.id}: {what.value} at an instant before its last change")
    return replace(order, status=result, events=(*order.events, (result.value, at)))
