"""Query parameters shared by the read routes, checked into smkit's terms (UTC ns, machine ids).

A mistake is a 422 shaped as FastAPI's own validation errors (``detail[].loc``, ``msg``), so a
client reads every refusal the same way and the OpenAPI schema covers it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Query

from smkit.api.deps import ServedDep
from smkit.api.schemas.times import site_ns
from smkit.plant.model import Plant

FROM_HELP = "Start: ISO 8601; without an offset, in the site's time zone (2026-11-24T06:00)."
From = Annotated[dt.datetime, Query(alias="from", description=FROM_HELP)]
To = Annotated[dt.datetime | None, Query(alias="to", description="End (default: now).")]
Machines = Annotated[list[str] | None, Query(alias="machine", description=(
    "Only these machines (repeat the parameter).") )]  # fmt: skip
LineId = Annotated[str | None, Query(description="Only this line's machines (its id).")]
MAX_WINDOW_DAYS = 400
LAST_NS = 9_214_646_400 * 10**9  # 2262-01-01 UTC


def invalid(field: str | tuple[str | int, ...], message: str, where: str = "query"
            ) -> HTTPException:  # fmt: skip
    """A 422 naming ``field`` (or the path to it) as request validation does."""
    path = list(field) if isinstance(field, tuple) else [field]
    return HTTPException(422, [{"loc": [where, *path], "msg": message, "type": "value_error"}])


def instant(plant: Plant, value: dt.datetime, field: str, where: str = "query") -> int:
    """UTC ns of a date-time (site time without an offset); a 422 naming ``field`` outside
    1970-2261, which nanoseconds in 64 bits hold."""
    ns = site_ns(value, ZoneInfo(plant.site.timezone))
    if not 0 <= ns < LAST_NS:
        raise invalid(field, "must be between 1970-01-01 and 2261-12-31", where)
    return ns


def happened(plant: Plant, value: dt.datetime, field: str) -> int:
    """UTC ns of an instant in a request body that says when something happened: not in the
    future (a 422 naming ``field``)."""
    ns = instant(plant, value, field, "body")
    if ns > time.time_ns():
        raise invalid(field, "must not be in the future: it says when something happened", "body")
    return ns


def window(plant: Plant, start: dt.datetime, end: dt.datetime | None) -> tuple[int, int, int]:
    """(start, end, now) in UTC ns; the window must not be empty and at most a long year."""
    now = time.time_ns()
    start_ns = instant(plant, start, "from")
    end_ns = now if end is None else instant(plant, end, "to")
    if end_ns <= start_ns:
        raise invalid("to", "must be after 'from'" if end else "'from' must be in the past")
    if end_ns - start_ns > MAX_WINDOW_DAYS * 86400 * 10**9:
        raise invalid("from", f"a window is at most {MAX_WINDOW_DAYS} days")
    return start_ns, end_ns, now


def chosen_machines(
    plant: Plant, machines: Sequence[str] | None, line: str | None
) -> list[str] | None:
    """The machines asked for (None: all of them)."""
    known = plant.places()
    for machine in machines or []:
        if machine not in known:
            raise invalid("machine", f"no machine {machine!r} (known: {', '.join(known)})")
    if line is None:
        return list(machines) if machines else None
    on_line = [
        m for m, place in known.items() if line in (place.line, f"{place.area}/{place.line}")
    ]
    if not on_line:
        lines = sorted({place.line for place in known.values()})
        raise invalid("line", f"no line {line!r} (known: {', '.join(lines)})")
    return [m for m in on_line if not machines or m in machines]


@dataclass(frozen=True)
class Asked:
    """What a read asks for: the window and now (UTC ns), and the machines (None: all);
    ``to_now``: the window ends when it is answered (no ``to`` was given)."""

    start_ns: int
    end_ns: int
    now_ns: int
    machines: list[str] | None
    to_now: bool = False

    def at(self, now_ns: int) -> Asked:
        """The same read answered at ``now_ns``."""
        end_ns = now_ns if self.to_now else self.end_ns
        return dataclasses.replace(self, end_ns=end_ns, now_ns=now_ns)

    @property
    def read(self) -> tuple[int, int | None, tuple[str, ...] | None]:
        """What identifies the read among others (now aside)."""
        machines = None if self.machines is None else tuple(self.machines)
        return self.start_ns, None if self.to_now else self.end_ns, machines


async def asked(app: ServedDep, start: From, end: To = None, machines: Machines = None,
                line: LineId = None) -> Asked:  # fmt: skip
    """The window and machines of a read, checked (a 422 naming the field)."""
    chosen = chosen_machines(app.plant, machines, line)
    return Asked(*window(app.plant, start, end), chosen, to_now=end is None)


AskedDep = Annotated[Asked, Depends(asked)]
