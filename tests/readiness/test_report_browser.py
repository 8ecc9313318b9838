"""The HTML report rendered by a real headless Chromium (Debian's ``chromium``): every section
and the radar chart are there once laid out, a screenshot and a PDF are saved as artifacts, and
the Vietnamese report carries no English text of the framework or the report words."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from smkit.readiness.assessment import open_assessment
from smkit.readiness.evidence import METRICS, EvidenceFile
from smkit.readiness.render_html import render_html
from smkit.readiness.report import report_data
from smkit.readiness.roadmap import roadmap
from smkit.readiness.scoring import score
from smkit.readiness.texts import TEXTS
from tests.readiness.test_cli import ADVANCED, SMALL
from tests.readiness.test_framework import texts_of
from tests.readiness.tiny import evidence

SECTIONS = ("summary", "radar", "pillars", "dimensions", "gaps", "roadmap", "checklist",
            "evidence", "live-data", "conflicts")  # fmt: skip
ARTIFACTS = Path(
    os.environ.get("SMKIT_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is missing: apt-get install chromium (make test installs it)")
    return found


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
               "--hide-scrollbars", *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


LIVE = evidence(**dict.fromkeys(METRICS, 0.5))


def html_report(path: Path, lang: str, live: EvidenceFile | None = None) -> str:
    loaded, audit = open_assessment(path)
    scored = score(loaded.framework, audit, live)
    steps = roadmap(loaded.framework, audit, scored)
    return render_html(report_data(loaded, audit, scored, steps, live, lang))  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_chromium_lays_out_every_section_and_the_radar_and_prints_it(
    tmp_path: Path, lang: str
) -> None:
    page = tmp_path / f"report-{lang}.html"
    page.write_text(html_report(SMALL, lang, LIVE), encoding="utf-8")
    dom = run_chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    for section in SECTIONS:
        assert f'id="{section}"' in dom.stdout, section
    radar = re.search(r'<svg[^>]*class="radar".*?</svg>', dom.stdout, re.S)
    assert radar is not None
    assert len(re.findall(r'<polygon points="[^"]+" class="(?:current|target)"', radar[0])) == 2
    assert radar[0].count('class="label"') == 16
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"readiness-report-{lang}.png"
    pdf = ARTIFACTS / f"readiness-report-{lang}.pdf"
    done = run_chromium("--window-size=1280,2200", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.stat().st_size > 50_000, done.stderr
    printed = run_chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0, printed.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


def test_the_vietnamese_report_has_no_english_left_from_the_framework_or_the_report_words() -> None:
    loaded, _ = open_assessment(ADVANCED)
    english = {t.en for _, t in texts_of(loaded.framework) if t.en != t.vi}
    english |= {w["en"] for w in TEXTS.values() if w["en"] != w["vi"]}
    english |= {d.en for d in (m.detail for m in LIVE.metrics.values()) if d.en != d.vi}
    page = html_report(ADVANCED, "vi", LIVE)
    assert "Tỷ lệ máy có dữ liệu" in page and "kiểm thử" in page  # the live section is there
    visible = re.sub(r"<style>.*?</style>|<[^>]+>", "\n", page, flags=re.S)
    lines = {line.strip() for line in visible.splitlines()}
    leftovers = sorted(e for e in english if e in lines or (len(e) > 12 and e in visible))
    assert leftovers == []
    assert len(english) > 400
    english_page = html_report(ADVANCED, "en", LIVE)
    assert any(e in english_page for e in english)  # the check can fail: English reports have it
