"""Who may see and do what on the pages: sign-in with a key, the session cookie, CSRF on every
form, a viewer without operator controls, a revoked key ending its session."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser

from smkit.api.roles import Role
from tests.web.conftest import TABLET, SignIn, shoot
from tests.web.site import Site


def audit_count(site: Site) -> int:
    with site.api(Role.ADMIN) as api:
        return len(api.get("/api/v1/audit", params={"limit": 1000}).json())


def test_a_browser_without_a_session_is_sent_to_sign_in(site: Site) -> None:
    with httpx.Client(base_url=site.url) as anonymous:
        answer = anonymous.get("/machines/press-01", params={"by": "day"})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin?next=%2Fmachines%2Fpress-01%3Fby%3Dday"
        assert anonymous.get("/board/events", headers={"Accept": "text/event-stream"}
                             ).status_code == 401  # fmt: skip


def test_sign_in_with_a_wrong_key_is_refused_and_a_right_one_gives_a_strict_httponly_session(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/signin?lang=en")
    page.fill("#key", "smk_nothing_atall")
    page.click("button[type=submit]")
    assert page.locator("p.problem").inner_text() == "The key is not valid or was revoked."
    assert not [c for c in context.cookies() if c["name"] == "smkit_session"]
    page.fill("#key", site.keys[Role.VIEWER])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/board$"))
    session = next(c for c in context.cookies() if c["name"] == "smkit_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert site.keys[Role.VIEWER] not in session["value"]
    context.close()


def test_a_viewer_gets_no_operator_controls_and_its_post_is_refused(
    signed_in: SignIn, site: Site
) -> None:
    page = signed_in(Role.VIEWER, TABLET)
    page.goto(f"{site.url}/operator/press-01?every=true")
    assert page.locator("section.stop-card").count() > 0  # the stops are shown
    assert page.locator("section.stop-card form, button.reason-button").count() == 0
    assert page.locator("p.notice").first.inner_text() == "Read only"
    shoot(page, "operator-viewer-en-768")
    page.goto(f"{site.url}/readiness/an-phat/edit")
    assert page.locator("select, button[type=submit].primary").count() == 0
    before = audit_count(site)
    start = page.goto(f"{site.url}/operator/press-01?every=true")
    assert start is not None
    token = _csrf_of(page.content())
    refused = page.request.post(f"{site.url}/operator/press-01/reason", form={
        "csrf": token, "stop_start": "1", "stop_end": "2", "reason": "P-01"})  # fmt: skip
    assert refused.status == 403
    assert audit_count(site) == before


def test_a_forged_form_post_without_the_csrf_token_is_refused(
    signed_in: SignIn, site: Site
) -> None:
    page = signed_in(Role.OPERATOR, TABLET)
    page.goto(f"{site.url}/operator/press-02?every=true")
    card = page.locator("section.stop-card[data-open=false]").first
    stop = {name: card.get_attribute(f"data-stop-{name}") or "" for name in ("start", "end")}
    form = {"stop_start": stop["start"], "stop_end": stop["end"], "reason": "P-01"}
    before = audit_count(site)
    for forged in ({}, {"csrf": "guessed"}, {"csrf": ""}):
        answer = page.request.post(f"{site.url}/operator/press-02/reason", form=form | forged,
                                   max_redirects=0)  # fmt: skip
        assert answer.status == 403, forged
        assert "The form has expired" in answer.text()
    assert audit_count(site) == before
    signed_out = page.request.post(f"{site.url}/signout", form={}, max_redirects=0)
    assert signed_out.status == 403  # signing out is a form too


def test_sign_in_form_posted_from_elsewhere_is_refused(site: Site) -> None:
    with httpx.Client(base_url=site.url) as elsewhere:
        answer = elsewhere.post("/signin", data={"key": site.keys[Role.ADMIN], "csrf": "x"})
        assert answer.status_code == 403
        assert "smkit_session" not in answer.cookies


def test_a_revoked_key_ends_its_session_and_signing_out_ends_it_too(
    browser: Browser, signed_in: SignIn, site: Site
) -> None:
    with site.api(Role.ADMIN) as admin:
        created = admin.post("/api/v1/keys", json={"name": "shift leader tablet",
                                                   "role": "operator"}).json()  # fmt: skip
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/signin")
    page.fill("#key", created["key"])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/board$"))
    with site.api(Role.ADMIN) as admin:
        admin.delete(f"/api/v1/keys/{created['id']}").raise_for_status()
    page.goto(f"{site.url}/audit")
    assert "/signin" in page.url
    context.close()

    page = signed_in(Role.OPERATOR)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/signin$"))
    page.goto(f"{site.url}/board")
    assert "/signin" in page.url


def _csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)
