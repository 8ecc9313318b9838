"""The operator's tablet in chromium: a reason picked for a stop shows at once on the machine
page, in the shift's OEE exactly as the engine computes it, and in the downtime audit; a stop is
split at an instant."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Page

from smkit.api.roles import Role
from smkit.historian import open_historian
from smkit.oee.elements import Elements, kpis, total
from smkit.oee.runner import period_results
from smkit.plant import load_plant
from smkit.web import formats
from tests.web.conftest import TABLET, SignIn, shoot
from tests.web.site import PLANNED_REASON, Site

KPIS = ("oee", "availability", "performance", "quality")


def engine_elements(site: Site, machine: str, start_ns: int, end_ns: int,
                    horizon_ns: int) -> Elements:  # fmt: skip
    """What the OEE engine computes from the historian, in a thread of its own (Playwright's
    sync API holds this one's event loop)."""
    plant = load_plant(site.plant_path)

    async def computed() -> Elements:
        async with open_historian(plant) as historian:
            found = await period_results(plant, historian, start_ns, end_ns,
                                         horizon_ns=horizon_ns, machines=[machine])  # fmt: skip
        return total(r.elements for r in found)

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, computed()).result()


def shown_kpis(page: Page) -> dict[str, str]:
    texts = page.locator("#kpis li strong").all_inner_texts()
    return dict(zip(KPIS, texts, strict=True))


def check_against_engine(page: Page, site: Site, machine: str) -> Elements:
    """The machine page's KPIs are the engine's, computed over the same span at the same now."""
    box = page.locator("#kpis")
    span = [int(box.get_attribute(f"data-{name}-ns") or 0) for name in ("start", "end", "computed")]
    elements = engine_elements(site, machine, *span)
    ratios = kpis(elements)
    wanted = {k: formats.percent(None if ratios[k].value is None else float(ratios[k].value),
                                 "en") for k in KPIS}  # fmt: skip
    assert shown_kpis(page) == wanted
    return elements


def planned_stop_s(page: Page) -> int:
    row = page.locator("table.bars tr", has_text="Planned stops").locator("td").first
    return duration_s(row.inner_text())


def duration_s(text: str) -> int:
    """Seconds of a duration as the pages write it in English (1 h 05 min, 4 min 30 s, 12 s)."""
    units = {"h": 3600, "min": 60, "s": 1}
    return sum(
        int(n.replace(",", "")) * units[u] for n, u in re.findall(r"([\d,]+) (h|min|s)\b", text)
    )


def with_a_closed_failure(page: Page, site: Site) -> str:
    """A machine whose shift so far has a breakdown that has ended (the operator page's)."""
    for machine in ("press-04", "press-01", "press-02", "press-03"):  # press-03: the split test's
        page.goto(f"{site.url}/operator/{machine}?every=true")
        if page.locator("section.stop-card.failure[data-open=false]").count():
            return machine
    raise AssertionError("no machine had a breakdown in this shift so far")


def closed_failure(page: Page) -> tuple[int, int]:
    """The newest breakdown on the operator page that has ended: its start and end (ns)."""
    card = page.locator("section.stop-card.failure[data-open=false]").first
    return int(card.get_attribute("data-stop-start") or 0), int(
        card.get_attribute("data-stop-end") or 0
    )


def test_a_reason_given_on_the_tablet_changes_the_machine_page_and_the_oee(
    signed_in: SignIn, site: Site
) -> None:
    page = signed_in(Role.OPERATOR, TABLET)
    machine = with_a_closed_failure(page, site)
    page.goto(f"{site.url}/machines/{machine}")
    before = check_against_engine(page, site, machine)
    planned_before = planned_stop_s(page)

    page.goto(f"{site.url}/operator/{machine}?every=true")
    start, end = closed_failure(page)
    card = page.locator(f"section.stop-card[data-stop-start='{start}']")
    card.locator("textarea").fill("Họp giao ca 5 phút")
    card.get_by_role("button", name=PLANNED_REASON["label"]["en"]).click()
    page.wait_for_url(re.compile(r".*saved=true.*"))
    assert page.locator("p.notice[role=status]").inner_text() == "The reason is saved."
    shoot(page, "operator-after-reason-en-768")

    page.goto(f"{site.url}/machines/{machine}")
    row = page.locator(f"tr[data-stop-start='{start}']")
    assert row.locator("td.reason").inner_text() == PLANNED_REASON["label"]["en"]
    assert "operator" in row.inner_text()
    after = check_against_engine(page, site, machine)
    stop_s = (end - start) / 1e9
    assert after.planned_stop_ns - before.planned_stop_ns == end - start  # as the engine says
    assert abs(planned_stop_s(page) - planned_before - stop_s) <= 1  # shown to the second
    assert "P-01" not in before.downtime_by_reason
    assert after.downtime_by_reason["P-01"] == end - start
    assert after.failures == before.failures - 1  # a breakdown no more: MTBF and MTTR move
    pareto = page.locator("#pa ~ table tbody tr", has_text=PLANNED_REASON["label"]["en"])
    assert abs(duration_s(pareto.locator("td").first.inner_text()) - stop_s) <= 1

    page.goto(f"{site.url}/audit?machine={machine}")
    newest = page.locator("tbody tr").first
    assert "web operator" in newest.inner_text()
    assert newest.locator("td.to").inner_text() == PLANNED_REASON["label"]["en"]
    assert newest.locator("td.from").inner_text() == "(the machine's own)"
    assert "Họp giao ca 5 phút" in newest.inner_text()


def test_a_stop_split_at_an_instant_gets_the_reason_from_then_on(
    signed_in: SignIn, site: Site
) -> None:
    machine = "press-03"
    page = signed_in(Role.OPERATOR, TABLET)
    page.goto(f"{site.url}/operator/{machine}?every=true")
    cards = page.locator("section.stop-card[data-open=false]")
    longest = max(
        range(cards.count()),
        key=lambda i: (
            int(cards.nth(i).get_attribute("data-stop-end") or 0)
            - int(cards.nth(i).get_attribute("data-stop-start") or 0)
        ),
    )
    card = cards.nth(longest)
    start = int(card.get_attribute("data-stop-start") or 0)
    end = int(card.get_attribute("data-stop-end") or 0)
    assert end - start >= 3 * 10**9, "no stop long enough to split"
    zone = load_plant(site.plant_path).site.timezone
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    split_ns = (start + (end - start) // 2) // 10**9 * 10**9
    split = formats.local(split_ns, ZoneInfo(zone)).strftime("%H:%M:%S")
    card.locator("input[name=split_at]").fill(split)
    current = card.locator(".current-reason").inner_text()
    reason = next(r for r in ("Hydraulic fault", "Heater band fault") if r != current)
    card.get_by_role("button", name=reason).click()
    page.wait_for_url(re.compile(r".*saved=true.*"))

    page.goto(f"{site.url}/machines/{machine}")
    first = page.locator(f"tr[data-stop-start='{start}']")
    second = page.locator(f"tr[data-stop-start='{split_ns}']")
    assert first.count() == 1 and second.count() == 1
    assert second.locator("td.reason").inner_text() == reason  # another reason from then on
    assert "operator" in second.inner_text()
    assert int(first.get_attribute("data-stop-end") or 0) == split_ns
    check_against_engine(page, site, machine)
