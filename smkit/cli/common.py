"""Helpers shared by the command modules."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer

from smkit.historian import Historian, open_historian
from smkit.plant.model import Plant

T = TypeVar("T")

PlantOption = Annotated[
    Path, typer.Option("--plant", "-p", help="The plant.yaml to use.", show_default=True)
]


def local_time(ts_ns: int, timezone: str) -> str:
    """A UTC nanosecond timestamp as the site's local time, to the millisecond."""
    moment = dt.datetime.fromtimestamp(ts_ns / 1e9, tz=ZoneInfo(timezone))
    return moment.isoformat(timespec="milliseconds")


def table(headers: list[str], rows: list[list[str]], empty: str = "") -> str:
    """A plain aligned text table, or ``empty`` when there are no rows and it is given."""
    if not rows and empty:
        return empty
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def with_historian(plant: Plant, use: Callable[[Historian], Awaitable[T]]) -> T:
    """``use`` the plant's historian, closed afterwards: for the synchronous commands."""

    async def go() -> T:
        async with open_historian(plant) as historian:
            return await use(historian)

    return asyncio.run(go())
