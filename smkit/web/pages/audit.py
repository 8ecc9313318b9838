"""The downtime audit: who changed which stop's reason, when, from what to what (newest first)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from smkit.api.audit import AuditEntry, newest
from smkit.web.page import Reading

router = APIRouter()
PAGE_ROWS = 50


@dataclass(frozen=True)
class ReasonChange:
    """A stop reason entry as the log shows it."""

    seq: int
    at_ns: int
    who: str
    machine: str
    stop_ns: int
    before: str | None
    after: str
    note: str | None


def reason_change(entry: AuditEntry) -> ReasonChange | None:
    """The entry of a ``stop.reason`` change (target ``machine/<id>/stop/<ns>``)."""
    parts = entry.target.split("/")
    if len(parts) != 4 or not parts[3].isdigit():
        return None
    before = entry.before.get("reason") if isinstance(entry.before, dict) else None
    after = entry.after if isinstance(entry.after, dict) else {}
    return ReasonChange(entry.seq, entry.at_ns, entry.who, parts[1], int(parts[3]), before,
                        str(after.get("reason", "")), after.get("note"))  # fmt: skip


@router.get("/audit", response_class=HTMLResponse)
async def downtime_audit(page: Reading, machine: str | None = None,
                         before: int | None = None) -> HTMLResponse:  # fmt: skip
    target = None if machine is None else f"machine/{machine}"
    found = await asyncio.to_thread(newest, page.served.plant.api.store, "stop.reason", target,
                                    before, PAGE_ROWS)  # fmt: skip
    changes = [c for c in map(reason_change, found) if c is not None]
    machines = [m.id for _, m in page.served.plant.machines()]
    return page.render("audit.html", changes=changes, machine=machine, machines=machines,
                       zone=ZoneInfo(page.served.plant.site.timezone),
                       older=found[-1].seq if len(found) == PAGE_ROWS else None)  # fmt: skip
