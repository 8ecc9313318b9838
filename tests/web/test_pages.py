"""Every page renders real data of the simulated plant in chromium, at tablet and TV width, in
Vietnamese and English, with no serious or critical accessibility violation (axe-core)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from smkit.api.roles import Role
from tests.web.conftest import TABLET, TV, SignIn, shoot
from tests.web.site import ORDER, Site

MACHINES = ("press-01", "press-02", "press-03", "press-04")
PAGES = {
    "board": "/board",
    "andon": "/board?andon=true",
    "machine": "/machines/press-02",
    "machine-day": "/machines/press-01?by=day&signal=melt_temp&signal=power",
    "operator-machines": "/operator",
    "operator": "/operator/press-01?every=true",
    "shifts": "/shifts",
    "shift-report": "/shifts/presses",
    "audit": "/audit",
    "readiness": "/readiness",
    "readiness-editor": "/readiness/an-phat/edit",
    "readiness-report": "/readiness/an-phat/report",
    "portfolio": "/portfolio",
}


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in found if v["impact"] in ("serious", "critical")]  # fmt: skip


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_real_data_and_passes_axe(signed_in: SignIn, site: Site, name: str,
                                              lang: str) -> None:  # fmt: skip
    page = signed_in(Role.OPERATOR, TV, lang)
    for width in (TABLET, TV):
        page.set_viewport_size({"width": width, "height": 1000})
        answer = page.goto(f"{site.url}{PAGES[name]}")
        assert answer is not None and answer.status == 200, name
        assert page.locator("html").get_attribute("lang") == lang
        page.wait_for_load_state("networkidle") if name != "board" else None
        shoot(page, f"{name}-{lang}-{width}")
    assert serious_violations(page) == [], name
    CHECKS[name](page, lang)


def _board(page: Page, lang: str) -> None:
    tiles = page.locator("li.tile")
    expect(tiles).to_have_count(len(MACHINES))
    assert sorted(tiles.evaluate_all("ts => ts.map(t => t.dataset.machine)")) == list(MACHINES)
    shift_oee = page.locator("li.tile .kpi strong").all_inner_texts()
    assert all(re.fullmatch(r"\d+[.,]\d %", text) for text in shift_oee), shift_oee
    progress = page.locator("li.tile[data-machine=press-02] .progress-text").inner_text()
    separator = "." if lang == "vi" else ","
    assert re.match(rf"\d{{1,3}}(\{separator}\d{{3}})* / 200\{separator}000", progress), progress
    assert ORDER in page.locator("li.tile[data-machine=press-02]").inner_text()


def _machine(page: Page, lang: str) -> None:
    assert page.locator("svg.timeline rect.seg").count() > 1
    assert page.locator("table.bars").count() == 2
    total = page.locator("#ct ~ table td").first.inner_text()
    assert int(re.sub(r"\D", "", total)) > 0, total


def _machine_day(page: Page, lang: str) -> None:
    _machine(page, lang)
    assert page.locator("svg.signal polyline").count() == 2


def _operator(page: Page, lang: str) -> None:
    assert page.locator("section.stop-card").count() > 0
    assert page.locator("button.reason-button").count() > 0


def _listing(page: Page, lang: str) -> None:
    assert page.locator("ul.machines li").count() > 0


def _shift_report(page: Page, lang: str) -> None:
    rows = page.locator("table.report tbody tr")
    expect(rows).to_have_count(len(MACHINES) + 1)
    dates = page.locator("main > p").first.inner_text()
    pattern = r"\d{2}/\d{2}/\d{4}" if lang == "vi" else r"\d{1,2} [A-Z][a-z]{2} \d{4}"
    assert re.search(pattern, dates), dates


def _audit(page: Page, lang: str) -> None:
    assert page.locator("h1").inner_text()


def _readiness(page: Page, lang: str) -> None:
    assert "An Phát" in page.locator("table").inner_text()


def _editor(page: Page, lang: str) -> None:
    assert page.locator("#ev ~ table tbody tr").count() > 0  # live-data evidence measured
    assert page.locator("table.criteria tbody tr").count() > 10  # every criterion, rated or not


def _report(page: Page, lang: str) -> None:
    assert page.locator("svg").count() > 0  # the radar


def _portfolio(page: Page, lang: str) -> None:
    assert page.locator("table").count() >= 3


CHECKS = {"board": _board, "andon": _board, "machine": _machine, "machine-day": _machine_day,
          "operator-machines": _listing, "operator": _operator, "shifts": _listing,
          "shift-report": _shift_report, "audit": _audit, "readiness": _readiness,
          "readiness-editor": _editor, "readiness-report": _report,
          "portfolio": _portfolio}  # fmt: skip
