"""What every page handler is given: the reader (a signed-in key or nobody), the reader's
language, and how to render, check a right, and read a form with its CSRF token checked.

A page needs a session unless plant.yaml sets ``api.anonymous_read``; without one the browser
is sent to the sign-in page. The language comes from ``?lang=`` (then kept in a cookie), the
cookie, or the browser's Accept-Language; Vietnamese when none says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

import yaml
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData

from smkit.api.deps import Caller
from smkit.api.roles import Right, may
from smkit.api.served import Served
from smkit.errors import SmkitError
from smkit.web import formats
from smkit.web.formats import Lang
from smkit.web.sessions import COOKIE, Session, Sessions

LANG_COOKIE = "smkit_lang"
CSRF_FIELD = "csrf"
SECURITY = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}  # fmt: skip


class SignInNeeded(SmkitError):
    """The page needs a session and the browser has none: it is sent to the sign-in page."""

    def __init__(self, back_to: str) -> None:
        super().__init__("sign in first")
        self.back_to = back_to


class Refused(SmkitError):
    """The page cannot do what was asked: ``status`` and the text key that says why."""

    def __init__(self, status: int, text_key: str) -> None:
        super().__init__(text_key)
        self.status = status
        self.text_key = text_key


@cache
def texts() -> dict[str, dict[str, str]]:
    """The pages' words: key → {vi, en}."""
    found: dict[str, dict[str, str]] = yaml.safe_load(
        resources.files("smkit.web").joinpath("texts.yaml").read_text(encoding="utf-8")
    )
    return found


@cache
def environment() -> Environment:
    """Jinja2 over the package's templates; every value is escaped unless marked safe."""
    env = Environment(loader=PackageLoader("smkit.web", "templates"),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.globals.update(fmt=formats)
    return env


@dataclass
class Page:
    """One page request: who reads it, in which language."""

    request: Request
    served: Served
    session: Session | None
    lang: Lang
    lang_asked: bool = False

    @property
    def caller(self) -> Caller:
        return Caller(None if self.session is None else self.session.key)

    def t(self, key: str, **values: Any) -> str:
        """The page text ``key`` in the reader's language, with ``{name}`` filled in."""
        text = texts()[key][self.lang]
        return text.format(**values) if values else text

    def reason_label(self, code: str) -> str:
        """A reason code as the catalog names it in the reader's language (a stop without a
        reason, or a class such as ``(breakdown)``: "no reason")."""
        if not code or code.startswith("("):
            return self.t("no_reason")
        found = next((r for r in self.served.plant.reasons if r.code == code), None)
        return code if found is None else str(getattr(found.label, self.lang))

    def may(self, right: Right) -> bool:
        return self.session is not None and may(self.session.key.role, right)

    def require(self, right: Right) -> Caller:
        """The caller, when its role has ``right``; a refusal page otherwise."""
        if self.session is None:
            raise SignInNeeded(self.request.url.path)
        if not self.may(right):
            raise Refused(403, "not_allowed")
        return self.caller

    async def form(self, right: Right) -> FormData:
        """The posted form of a reader with ``right``, refused (403) without its CSRF token."""
        self.require(right)
        found = await self.request.form()
        sent = found.get(CSRF_FIELD)
        if self.session is None or not self.session.csrf_matches(
                sent if isinstance(sent, str) else None):  # fmt: skip
            raise Refused(403, "form_expired")
        return found

    def render(self, template: str, status: int = 200, **data: Any) -> HTMLResponse:
        """The page ``template`` with ``data``, the reader and the words."""
        body = environment().get_template(template).render(page=self, t=self.t, lang=self.lang,
                                                           **data)  # fmt: skip
        response = HTMLResponse(body, status_code=status, headers=SECURITY)
        if self.lang_asked:
            response.set_cookie(LANG_COOKIE, self.lang, max_age=365 * 86400, samesite="strict")
        return response

    def link(self, path: str, **query: str) -> str:
        """``path`` with ``query`` (values quoted)."""
        pairs = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return f"{path}?{pairs}" if pairs else path

    def in_lang(self, code: str) -> str:
        """This page's address in the language ``code``."""
        query = {**self.request.query_params, "lang": code}
        return self.link(self.request.url.path, **query)

    @property
    def csrf(self) -> str:
        return "" if self.session is None else self.session.csrf


def said(refused: HTTPException) -> str:
    """What an API refusal says, as one line for a page."""
    detail = refused.detail
    if not isinstance(detail, list):
        return str(detail)
    lines = []
    for item in detail:
        place = ".".join(str(part) for part in item.get("loc", [])[1:])
        lines.append(f"{place}: {item.get('msg', '')}" if place else str(item.get("msg", item)))
    return "; ".join(lines)


def chosen_lang(request: Request) -> tuple[Lang, bool]:
    """The reader's language, and whether the request asked for it (``?lang=``)."""
    asked = _lang(request.query_params.get("lang"))
    if asked is not None:
        return asked, True
    kept = _lang(request.cookies.get(LANG_COOKIE))
    if kept is not None:
        return kept, False
    accepted = request.headers.get("accept-language", "").lower()
    return ("en" if accepted.startswith("en") else "vi"), False


def _lang(value: str | None) -> Lang | None:
    return "vi" if value == "vi" else "en" if value == "en" else None


async def page_of(request: Request) -> Page:
    """The page's reader; a browser without a session goes to sign in (unless anonymous
    reads are allowed)."""
    served: Served = request.app.state.served
    sessions: Sessions = request.app.state.sessions
    session_id = request.cookies.get(COOKIE)
    session = await sessions.find(session_id) if session_id else None
    lang, asked = chosen_lang(request)
    if session is None and not served.plant.api.anonymous_read:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(back)
    return Page(request, served, session, lang, asked)


Reading = Annotated[Page, Depends(page_of)]
