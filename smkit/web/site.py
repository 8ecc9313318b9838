"""The app ``smkit serve`` runs: the HTTP API with smkit's pages beside it (``/board``,
``/machines/...``, ``/operator``, ``/shifts``, ``/audit``, ``/readiness``, ``/portfolio``) and
their assets under ``/static``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from smkit.api.app import create_app
from smkit.plant.model import Plant
from smkit.web.page import Page, Refused, SignInNeeded, chosen_lang
from smkit.web.pages import audit, board, machine, operator, readiness, shifts, signin
from smkit.web.sessions import Sessions


def create_site(plant: Plant, plant_path: Path | None = None) -> FastAPI:
    """The API and the pages over the plant's historian."""
    app = create_app(plant, plant_path)
    app.state.sessions = Sessions(plant.api.store, plant.api.session_idle)
    app.mount("/static", StaticFiles(packages=[("smkit.web", "static")]), name="static")
    for module in (signin, board, machine, operator, shifts, audit, readiness):
        app.include_router(module.router, include_in_schema=False)
    app.add_exception_handler(SignInNeeded, _to_sign_in)
    app.add_exception_handler(Refused, _refused)

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/board", 303)

    return app


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    back = exc.back_to if isinstance(exc, SignInNeeded) else "/board"
    if request.method != "GET" or request.headers.get("accept") == "text/event-stream":
        return Response("sign in first", 401)
    return RedirectResponse(f"/signin?next={_quoted(back)}", 303)


async def _refused(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, Refused)
    lang, _ = chosen_lang(request)
    page = Page(request, request.app.state.served, None, lang)
    return page.render("error.html", status=exc.status, message=page.t(exc.text_key))


def _quoted(path: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return quote(path, safe="")
