"""``smkit readiness`` end to end on the shipped examples, and its errors for bad assessments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from smkit.readiness.framework import load_framework
from smkit.readiness.synthetic import synthetic_assessment
from tests.cli.test_cli import smkit

EXAMPLES = Path(__file__).parents[2] / "examples" / "readiness"
SMALL = EXAMPLES / "an-phat-plastics-2026.yaml"
ADVANCED = EXAMPLES / "saigon-precision-2026.yaml"


def test_the_template_lists_every_criterion_and_scores_once_filled_in(tmp_path: Path) -> None:
    audit = tmp_path / "audit.yaml"
    done = smkit("readiness", "init", "--framework", "smr-vn", "--out", str(audit))
    assert done.returncode == 0, done.stderr
    text = audit.read_text(encoding="utf-8")
    framework = load_framework("smr-vn").framework
    assert all(f"# {c}: {{rating:" in text for c in framework.criterion_by_id)
    again = smkit("readiness", "init", "--out", str(audit))
    assert again.returncode == 2 and "already exists" in again.stderr
    filled = text.replace('  name: ""', '  name: "Xưởng A"').replace('assessor: ""', "assessor: B")
    filled = filled.replace("  # vi.1.1: {rating: met", "  vi.1.1: {rating: met")
    audit.write_text(filled, encoding="utf-8")
    scored = smkit("readiness", "score", str(audit), "--format", "json")
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout)
    assert result["dimensions"]["vertical_integration"]["band"] == 1  # vi.1.2 is optional
    assert result["overall"] == pytest.approx(1 / 9)  # one of 3 pillars of the first block


def test_the_examples_score_an_early_and_an_advanced_enterprise() -> None:
    small = json.loads(smkit("readiness", "score", str(SMALL), "--format", "json").stdout)
    advanced = json.loads(smkit("readiness", "score", str(ADVANCED), "--format", "json").stdout)
    assert small["overall"] < 1.5
    assert advanced["overall"] > 2.5
    assert small["dimensions"]["shopfloor_connectivity"]["band"] == 2
    assert advanced["dimensions"]["shopfloor_connectivity"]["band"] == 4
    compared = smkit("readiness", "compare", str(SMALL), str(ADVANCED))
    assert compared.returncode == 0, compared.stderr
    assert "shopfloor_connectivity   2       4      +2" in compared.stdout
    assert "checklist iso27001: absent -> certified" in compared.stdout


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_reports_are_written_in_each_format_and_language(
    tmp_path: Path, fmt: str, lang: str
) -> None:
    out = tmp_path / f"report.{fmt}"
    done = smkit("readiness", "report", str(ADVANCED), "--lang", lang, "--format", fmt,
                 "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = out.read_text(encoding="utf-8")
    heading = "Báo cáo đánh giá" if lang == "vi" else "Smart manufacturing readiness report"
    if fmt == "json":
        data = json.loads(body)
        assert data["lang"] == lang and len(data["dimensions"]) == 16 and data["roadmap"]
    else:
        assert heading in body and "Công ty Cổ phần Cơ khí Chính xác Sài Gòn" in body


def test_a_portfolio_of_generated_assessments_rolls_up(tmp_path: Path) -> None:
    loaded = load_framework("smr-vn")
    folder = tmp_path / "programme"
    folder.mkdir()
    for seed in range(24):
        audit = synthetic_assessment(loaded, seed).model_dump(mode="json", exclude_none=True)
        (folder / f"{seed:02d}.yaml").write_text(yaml.safe_dump(audit, allow_unicode=True))
    done = smkit("readiness", "portfolio", str(folder), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["enterprises"] == 24
    assert all(sum(counts.values()) == 24 for counts in result["bands"].values())
    assert len(result["bands"]) == 16
    assert sum(result["by_sector"].values()) == 24
    adopted, applicable = result["adoption"]["iso9001"]
    assert applicable == 24 and 0 < adopted < 24
    assert result["adoption"]["haccp"][1] == result["by_sector"].get("food", 0)
    ranked = smkit("readiness", "benchmark", str(folder / "00.yaml"), str(folder))
    assert ranked.returncode == 0, ranked.stderr
    assert "peers: " in ranked.stdout and "percentile" in ranked.stdout


BAD = [
    ("ratings", {"vi.9.9": {"rating": "met"}},
     "ratings.vi.9.9: the framework has no criterion 'vi.9.9'; did you mean"),
    ("targets", {"leadership": 7}, "targets.leadership: band 7 is out of range (0 to 5)"),
    ("ratings", {"sg.2.1": {"rating": "na"}}, "ratings.sg.2.1.rating: N/A needs a reason"),
    ("checklist", {"tpm": "certified"}, "checklist.tpm: state 'certified' is not allowed for tpm"),
    ("facility", {"sector": "plastic"},
     "facility.sector: the framework has no sector 'plastic'; did you mean 'plastics'?"),
    ("ratings", {"sg.1.1": {"rating": "good"}},
     "ratings.sg.1.1.rating: must be one of 'met', 'partly', 'not' or 'na'; got 'good'"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "message"), BAD)
def test_a_bad_assessment_is_a_clear_error_at_its_place(
    tmp_path: Path, key: str, value: dict[str, object], message: str
) -> None:
    audit = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    audit[key] = {**audit[key], **value}
    path = tmp_path / "audit.yaml"
    path.write_text(yaml.safe_dump(audit, allow_unicode=True, sort_keys=False), encoding="utf-8")
    done = smkit("readiness", "score", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{path}:"), done.stderr
    assert message in done.stderr, done.stderr


def test_an_assessment_made_with_another_version_of_the_framework_is_refused(
    tmp_path: Path,
) -> None:
    audit = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    audit["framework"]["sha256"] = "0" * 64
    path = tmp_path / "audit.yaml"
    path.write_text(yaml.safe_dump(audit, allow_unicode=True), encoding="utf-8")
    done = smkit("readiness", "report", str(path), "-o", str(tmp_path / "r.html"))
    assert done.returncode == 2
    assert "changed since this assessment was made" in done.stderr
