"""Helpers shared by the command modules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

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
