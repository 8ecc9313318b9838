"""The bundled smr-vn framework: its shape, the programme's checklist in full, every text in
both languages; and the errors a broken framework file gets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from smkit.errors import ConfigError
from smkit.plant.base import LocalText
from smkit.readiness.evidence import METRICS
from smkit.readiness.framework import load_framework, parse_framework
from smkit.readiness.texts import TEXTS
from tests.readiness.tiny import framework_doc

# Every system, tool and software kind BRIEF.md names, as the framework's item ids.
PROGRAMME = {
    "management_systems": {"iso9001", "iso14001", "iso50001", "iso27001", "iso26000", "iso45001",
                           "traceability", "iso29001", "iatf16949", "tl9000", "iso13485",
                           "iso17025", "iso22000", "haccp", "gmp", "integrated_system"},
    "improvement_tools": {"5s", "kaizen", "seven_wastes", "seven_qc_tools", "lean", "tpm", "kpi",
                          "mfca", "tqm", "twi", "gap", "organic", "green_productivity"},
    "digital_systems": {"production_chain_management", "plant_management", "smart_management",
                        "digital_factory", "management_system_software", "plm",
                        "digital_manufacturing", "erp", "scm", "mes"},
    "recognition": {"national_quality_award", "product_certification",
                    "export_market_certification", "traceability_certification"},
}  # fmt: skip


def texts_of(model: BaseModel, where: str = "") -> Iterator[tuple[str, LocalText]]:
    """Every LocalText inside a model, with its path."""
    for name, value in model:
        yield from _walk(value, f"{where}.{name}")


def _walk(value: object, where: str) -> Iterator[tuple[str, LocalText]]:
    if isinstance(value, LocalText):
        yield where, value
    elif isinstance(value, BaseModel):
        yield from texts_of(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{where}[{key}]")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _walk(item, f"{where}[{n}]")


def looks_like_a_name(words: str) -> bool:
    """A code or a proper name, the same in both languages: "ISO 9001", "5S", "HACCP"."""
    return not re.search(r"\b[a-z]{4,}\b", words)


def test_smr_vn_has_3_blocks_8_pillars_16_dimensions_each_with_criteria_for_every_band() -> None:
    framework = load_framework("smr-vn").framework
    assert len(framework.building_blocks) == 3
    assert sum(len(b.pillars) for b in framework.building_blocks) == 8
    assert len(framework.dimension_by_id) == 16
    for dimension in framework.dimension_by_id.values():
        assert [b.band for b in dimension.bands] == [0, 1, 2, 3, 4, 5]
        for band in dimension.bands[1:]:
            assert any(c.required for c in band.criteria), (dimension.id, band.band)
            assert band.actions, (dimension.id, band.band)


def test_the_programme_checklist_is_there_in_full() -> None:
    framework = load_framework("smr-vn").framework
    listed = {c.id: {item.id for item in c.items} for c in framework.checklists}
    assert listed == PROGRAMME


def test_every_text_exists_in_both_languages_and_is_translated() -> None:
    framework = load_framework("smr-vn").framework
    found = list(texts_of(framework))
    assert len(found) > 400  # every name, summary, criterion, action, state, category
    for where, value in found:
        assert value.vi.strip() and value.en.strip(), where
        assert value.vi != value.en or looks_like_a_name(value.en), where
    for key, words in TEXTS.items():
        assert set(words) == {"vi", "en"}, key
        assert words["vi"] != words["en"] or looks_like_a_name(words["en"]), key


def test_live_rules_name_metrics_smkit_measures() -> None:
    framework = load_framework("smr-vn").framework
    named = {c.auto.metric for _, _, c in framework.criterion_by_id.values() if c.auto}
    assert named and named <= set(METRICS)


def test_a_dimension_missing_bands_is_an_error_naming_its_place() -> None:
    doc = framework_doc()
    bands = doc["building_blocks"][0]["pillars"][1]["dimensions"][0]["bands"]
    del bands[4]
    text = yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ConfigError) as caught:
        parse_framework(text, "broken.yaml")
    (line,) = caught.value.problems
    assert line.startswith("broken.yaml:")
    assert "building_blocks[0].pillars[1].dimensions[0].bands" in line
    assert "must list bands 0, 1, 2, 3, 4, 5" in line and "[0, 1, 2, 3, 5]" in line


def test_a_missing_translation_and_a_duplicate_criterion_are_reported_together() -> None:
    doc = framework_doc()
    dimension = doc["building_blocks"][0]["pillars"][0]["dimensions"][0]
    del dimension["name"]["vi"]
    dimension["bands"][2]["criteria"][1]["id"] = "a.1.1"
    with pytest.raises(ConfigError) as caught:
        parse_framework(yaml.safe_dump(doc, sort_keys=False), "two.yaml")
    assert any("dimensions[0].name.vi: missing required key" in p for p in caught.value.problems)
    with pytest.raises(ConfigError, match=r"criterion id 'a\.1\.1' is used twice"):
        dimension["name"]["vi"] = "a"
        parse_framework(yaml.safe_dump(doc, sort_keys=False), "two.yaml")


def test_an_unknown_framework_names_the_bundled_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bundled: smr-vn"):
        load_framework(tmp_path / "nope.yaml")
