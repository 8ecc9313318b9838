"""Sign in with an API key (it becomes a session cookie) and sign out.

The sign-in form is itself protected from cross-site posts: its token is also set in a
short-lived cookie, and the two must match (a page on another site can read neither)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from smkit.api.roles import Right
from smkit.api.served import Served
from smkit.web.page import Page, Reading, chosen_lang
from smkit.web.sessions import COOKIE, Sessions

router = APIRouter()
FORM_COOKIE = "smkit_signin"


@router.get("/signin")
async def sign_in_form(request: Request, next: str = "/board") -> Response:
    token = secrets.token_urlsafe(32)
    response = _form(request, token, _local(next), None)
    response.set_cookie(FORM_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    token, sent = request.cookies.get(FORM_COOKIE, ""), str(form.get("csrf", ""))
    back_to = _local(str(form.get("next", "/board")))
    if not token or not hmac.compare_digest(token.encode(), sent.encode()):
        return _form(request, secrets.token_urlsafe(32), back_to, "form_expired", 403)
    served: Served = request.app.state.served
    key = served.keys.verify(str(form.get("key", "")).strip())
    if key is None:
        return _form(request, token, back_to, "key_refused", 401)
    sessions: Sessions = request.app.state.sessions
    session_id = await sessions.start(key)
    response = RedirectResponse(back_to, 303)
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    response.delete_cookie(FORM_COOKIE)
    return response


@router.post("/signout")
async def sign_out(page: Reading) -> Response:
    await page.form(Right.READ)
    sessions: Sessions = page.request.app.state.sessions
    await sessions.end(page.request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/signin", 303)
    response.delete_cookie(COOKIE)
    return response


def _form(request: Request, token: str, back_to: str, refused: str | None,
          status: int = 200) -> Response:  # fmt: skip
    lang, asked = chosen_lang(request)
    page = Page(request, request.app.state.served, None, lang, asked)
    return page.render("signin.html", status=status, token=token, back_to=back_to,
                       refused=refused)  # fmt: skip


def _local(path: str) -> str:
    """Only a path on this site to go back to (never ``//elsewhere``)."""
    return path if path.startswith("/") and not path.startswith("//") else "/board"
