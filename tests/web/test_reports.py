"""The shift report as a page, a PDF, CSV and Excel, with the numbers the API serves; the
readiness editor saving the very file the CLI reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
from playwright.sync_api import Browser

from smkit.api.roles import Role
from smkit.readiness.assessment import open_assessment
from tests.web.conftest import SHOTS, TV, SignIn, shoot
from tests.web.site import Site


def test_the_shift_report_downloads_hold_the_apis_numbers_and_it_prints_on_one_page(
    signed_in: SignIn, site: Site
) -> None:
    page = signed_in(Role.VIEWER, TV)
    page.goto(f"{site.url}/shifts/presses")
    # the shift before the one going on: an open shift's numbers move with the clock between
    # the download and the API's answer
    page.get_by_role("link", name="← Previous").click()
    page.wait_for_url(re.compile(r".*at="))
    csv_link = page.get_by_role("link", name="Download CSV")
    at = re.search(r"at=([^&]+)", csv_link.get_attribute("href") or "")
    assert at is not None
    with page.expect_download() as got:
        csv_link.click()
    rows = list(csv.reader(io.StringIO(got.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:5] == ["Machine", "Availability (A)", "Performance (P)", "Quality (Q)", "OEE"]
    by_machine = {row[0]: row for row in rows[1:]}
    start = at.group(1).replace("%3A", ":")
    with site.api(Role.VIEWER) as api:
        end = dt.datetime.fromisoformat(start) + dt.timedelta(hours=8)
        answer = api.get("/api/v1/oee", params={"from": start, "to": end.isoformat(),
                                                 "by": "shift"})  # fmt: skip
    answer.raise_for_status()
    shift = {r["entity"]: r for r in answer.json() if r["start"].startswith(start[:16])}
    assert set(shift) == {"press-01", "press-02", "press-03", "press-04"}
    for machine, row in shift.items():
        for column, kpi in zip(rows[0][1:5], ("availability", "performance", "quality", "oee"),
                               strict=True):  # fmt: skip
            shown = by_machine[machine][rows[0].index(column)]
            assert float(shown) == row["kpis"][kpi], (machine, kpi)
        assert int(by_machine[machine][rows[0].index("Good")]) == row["counts"]["good"]
    assert "presses" in by_machine  # the line's own row

    with page.expect_download() as got:
        page.get_by_role("link", name="Download Excel").click()
    assert got.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(got.value.path().read_bytes()))
    sheet = book.active
    assert sheet is not None
    assert sheet.cell(2, 1).value == "Machine"
    assert sheet.max_row == 2 + len(shift) + 1
    assert sheet.cell(3, 2).number_format == "0.0%"

    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    assert page.locator("nav.no-print").is_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SHOTS / "shift-report-en.pdf"), prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 page


def test_a_consultant_rates_a_criterion_and_the_cli_reads_the_saved_file(
    signed_in: SignIn, site: Site, browser: Browser
) -> None:
    page = signed_in(Role.CONSULTANT, TV)
    page.goto(f"{site.url}/readiness/an-phat/edit")
    assert page.locator("#cf ~ *").count() > 0  # conflicts with the live data are shown
    rating = page.locator("select[name='rating.vi.1.2']")
    rating.select_option("partly")
    page.locator("input[name='note.vi.1.2']").fill("Chỉ có lệnh giấy tháng 10")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*saved=changed$"))
    shoot(page, f"readiness-editor-saved-en-{TV}")
    path = site.plant_path.parent / "assessments" / "an-phat.yaml"
    _, assessment = open_assessment(path)  # as `smkit readiness` reads it
    assert assessment.ratings["vi.1.2"].rating == "partly"
    assert assessment.ratings["vi.1.2"].note == "Chỉ có lệnh giấy tháng 10"
    assert assessment.ratings["vi.1.2"].evidence  # the evidence it had is kept
    with site.api(Role.ADMIN) as api:
        entries = api.get("/api/v1/audit", params={"target": "assessment/an-phat"}).json()
    assert entries[-1]["who"].startswith("web consultant")

    page.get_by_role("button", name="Save").click()  # the same again changes nothing
    page.wait_for_url(re.compile(r".*saved=unchanged$"))
    page.locator("select[name='rating.vi.1.1']").select_option("na")
    page.get_by_role("button", name="Save").click()  # N/A without a reason is refused
    assert page.locator("div.problem").is_visible()
    assert "vi.1.1" in page.locator("div.problem").inner_text()
    _, unchanged = open_assessment(path)
    assert unchanged.ratings["vi.1.1"].rating == "met"
