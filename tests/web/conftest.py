"""The pages in a real browser: Debian's chromium driven by Playwright (no browser download),
over a real smkit site. Screenshots go to ``test-artifacts/screenshots`` (or
``$SMKIT_ARTIFACTS/screenshots``)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from smkit.api.roles import Role
from tests.web.site import Site, serve_site

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SMKIT_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
TABLET, TV = 768, 1920


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from serve_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module: Playwright's sync API marks an event loop as running in
    this thread while it is open, which asyncio tests of other modules must not meet."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is missing: apt-get install chromium (make test installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=found, args=["--no-sandbox"])
        yield launched
        launched.close()


SignIn = Callable[..., Page]


@pytest.fixture
def signed_in(browser: Browser, site: Site) -> Iterator[SignIn]:
    """A page of a new browser context signed in with ``role``'s key."""
    contexts = []

    def open_page(role: Role, width: int = TV, lang: str = "en") -> Page:
        context = browser.new_context(viewport={"width": width, "height": 1000},
                                      locale="vi-VN" if lang == "vi" else "en-GB")  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{site.url}/signin?next=/board&lang={lang}")
        page.fill("#key", site.keys[role])
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/board$"))
        return page

    yield open_page
    for context in contexts:
        context.close()


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot kept as a test artefact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
