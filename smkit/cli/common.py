"""Helpers shared by the command modules."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import orjson
import typer

from smkit.errors import ConfigError
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


def json_rows(rows: list[dict[str, object]]) -> str:
    """Rows as a JSON array, a row per line, in UTF-8 as they are (orjson: a month's report
    spent a third of its time in the json module's indenting encoder)."""
    return json_lines([orjson.dumps(row) for row in rows])


def json_lines(encoded: list[bytes]) -> str:
    """Rows already encoded as JSON, one per line, as a JSON array."""
    return "[\n" + b",\n".join(encoded).decode() + "\n]" if encoded else "[]"


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a command builds a large report.

    A month's report makes tens of thousands of small objects that all live until it is
    printed and form no reference cycles; the collector would scan them over and over as they
    pile up (measured on a 50-machine month: half the time of building the report's rows).
    The command's process ends soon after; the collector runs again when the body is left.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def with_historian(plant: Plant, use: Callable[[Historian], Awaitable[T]]) -> T:
    """``use`` the plant's historian, closed afterwards: for the synchronous commands."""

    async def go() -> T:
        async with open_historian(plant) as historian:
            return await use(historian)

    return asyncio.run(go())


CollectorOption = Annotated[str | None, typer.Option(
    "--collector", help="The collector of plant.yaml's `collectors` to act for (a plant "
    "split across collector processes).")]  # fmt: skip


def collector_share(plant: Plant, collector_id: str | None) -> Plant:
    """The plant, or the share of it that ``--collector`` names."""
    names = [c.id for c in plant.collectors]
    if collector_id is None:
        if names:
            raise ConfigError(f"plant.yaml splits its sources across collectors: give "
                              f"--collector ({', '.join(names)})")  # fmt: skip
        return plant
    if collector_id not in names:
        known = ", ".join(names) if names else "plant.yaml has no `collectors`"
        raise ConfigError(f"--collector: no collector {collector_id!r} ({known})")
    return plant.for_collector(collector_id)
