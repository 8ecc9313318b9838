"""The plant board and its andon mode: the tiles are rendered on the server and pushed to every
screen as server-sent events when the live status changes (one rendering per status and
language, whatever the number of screens)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from smkit.api.schemas.status import RenderedStatus
from smkit.web.board import Progress, board_of, kpi_class, orders_progress, target_of
from smkit.web.page import Page, Reading, SignInNeeded, environment, page_of

router = APIRouter()
POLL_S = 0.25
"""How often a stream looks for a newer status (a look costs no computation)."""
KEEPALIVE_S = 15.0
RECHECK_SESSION_S = 30.0


@dataclass
class _Rendered:
    """The tiles of one status, rendered once per language and line filter."""

    status: RenderedStatus | None = None
    progress: dict[str, Progress] = field(default_factory=dict)
    html: dict[tuple[str, str | None], str] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _kept(page: Page) -> _Rendered:
    """The app's rendered tiles (made on first use)."""
    state = page.request.app.state
    if not hasattr(state, "board_tiles"):
        state.board_tiles = _Rendered()
    kept: _Rendered = state.board_tiles
    return kept


async def tiles_html(page: Page, found: RenderedStatus, line: str | None) -> str:
    """The tiles of ``found`` for the page's language (and ``line``), rendered once."""
    kept = _kept(page)
    async with kept.lock:
        now = time.time_ns()
        if kept.status is not found:  # the orders' progress once per status
            kept.status, kept.html = found, {}
            kept.progress = await orders_progress(page.served, found.view, now)
        if (page.lang, line) not in kept.html:
            lines = [g for g in board_of(page.served.plant, found.view, kept.progress)
                     if line in (None, g.line)]  # fmt: skip
            kept.html[(page.lang, line)] = environment().get_template("_tiles.html").render(
                page=page, t=page.t, lang=page.lang, lines=lines, kpi_class=kpi_class,
                targets=page.served.plant.oee.targets, target_of=target_of,
                server_ms=now // 1_000_000, computed=found.view.computed_at)  # fmt: skip
        return kept.html[(page.lang, line)]


@router.get("/board", response_class=HTMLResponse)
async def board(page: Reading, line: str | None = None, andon: bool = False) -> HTMLResponse:
    found = await page.served.status.get()
    lines = [a_line.id for area in page.served.plant.site.areas for a_line in area.lines]
    return page.render("board.html", tiles=await tiles_html(page, found, line), line=line,
                       lines=lines, andon=andon)  # fmt: skip


@router.get("/board/tiles", response_class=HTMLResponse)
async def tiles(page: Reading, line: str | None = None) -> HTMLResponse:
    """The tiles alone (for a screen that cannot keep an event stream open)."""
    return HTMLResponse(await tiles_html(page, await page.served.status.get(), line))


@router.get("/board/events")
async def events(page: Reading, request: Request, line: str | None = None) -> StreamingResponse:
    """The tiles, sent again whenever the live status is a newer one."""

    async def stream() -> AsyncIterator[str]:
        sent, quiet_since, checked = None, time.monotonic(), time.monotonic()
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            found = await page.served.status.get()
            if found is not sent:
                sent, quiet_since = found, time.monotonic()
                html = await tiles_html(page, found, line)
                yield (
                    "event: tiles\n" + "".join(f"data: {row}\n" for row in html.split("\n")) + "\n"
                )
            elif time.monotonic() - quiet_since > KEEPALIVE_S:
                quiet_since = time.monotonic()
                yield ": still here\n\n"
            if time.monotonic() - checked > RECHECK_SESSION_S:
                checked = time.monotonic()
                try:
                    await page_of(request)
                except SignInNeeded:  # signed out or the key revoked: the screen stops
                    yield "event: signed-out\ndata: \n\n"
                    return
            await asyncio.sleep(POLL_S)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
