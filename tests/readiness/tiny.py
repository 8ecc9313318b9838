"""A tiny framework (2 pillars, 3 dimensions) for worked examples, and assessments of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from smkit.plant.base import LocalText
from smkit.readiness.assessment import Assessment, parse_assessment
from smkit.readiness.evidence import EvidenceFile, LiveMetric
from smkit.readiness.framework import LoadedFramework, parse_framework


def text(word: str) -> dict[str, str]:
    return {"vi": f"{word} (vi)", "en": word}


def dimension(ident: str, weight: float = 1.0, **extra: Any) -> dict[str, Any]:
    """Bands 1-5, each with a required criterion ``{ident}.{band}.1``; band 2 also has an
    optional ``{ident}.2.2``."""
    bands: list[dict[str, Any]] = [{"band": 0, "summary": text("nothing")}]
    for band in range(1, 6):
        criteria = [{"id": f"{ident}.{band}.1", "text": text(f"{ident} {band}")}]
        if band == 2:
            criteria.append({"id": f"{ident}.2.2", "text": text("optional"), "required": False})
        bands.append({"band": band, "summary": text(f"band {band}"), "criteria": criteria,
                      "actions": [text(f"reach {ident} {band}")]})  # fmt: skip
    return {"id": ident, "name": text(ident), "description": text(ident), "weight": weight,
            "bands": bands, **extra}  # fmt: skip


def framework_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1, "id": "tiny", "version": "1", "name": text("Tiny"),
        "description": text("Tiny"), "band_names": {b: text(f"B{b}") for b in range(6)},
        "building_blocks": [{
            "id": "block", "name": text("Block"),
            "pillars": [
                {"id": "p1", "name": text("P1"), "weight": 1,
                 "dimensions": [dimension("a", 1.0), dimension("b", 3.0)]},
                {"id": "p2", "name": text("P2"), "weight": 1, "dimensions": [dimension("c")]},
            ],
        }],
        "checklists": [{"id": "tools", "name": text("Tools"),
                        "states": {"absent": text("absent"), "in_use": text("in use")},
                        "adopted": ["in_use"],
                        "items": [{"id": "tpm", "name": text("TPM")},
                                  {"id": "haccp", "name": text("HACCP"), "sectors": ["food"]}]}],
        "prioritisation": {"kpis": {"asset_efficiency": text("assets"), "safety": text("safety")},
                           "costs": {"labour": text("labour")},
                           "relevance": {"b": {"kpi": {"asset_efficiency": 3}}},
                           "horizons": {"tactical": {"kpi": 0.3, "cost": 0.4, "gap": 0.3}}},
    }  # fmt: skip
    a, b = doc["building_blocks"][0]["pillars"][0]["dimensions"]
    c = doc["building_blocks"][0]["pillars"][1]["dimensions"][0]
    c["bands"][2]["criteria"][0]["auto"] = {"metric": "machines_connected_share", "op": ">=",
                                            "value": 0.5, "max_age_days": 30}  # fmt: skip
    b["bands"][3]["requires"] = {"a": 2}
    assert a["id"] == "a"
    doc.update(overrides)
    return doc


def tiny(**overrides: Any) -> LoadedFramework:
    return parse_framework(yaml.safe_dump(framework_doc(**overrides)), "tiny.yaml")


def assessment(loaded: LoadedFramework, ratings: dict[str, Any], **extra: Any) -> Assessment:
    doc = {"framework": {"id": "tiny", "version": "1"},
           "facility": {"name": "F", "sector": "plastics", "size": "small", "sme": True},
           "assessor": "A", "date": "2026-11-20", "ratings": ratings, **extra}  # fmt: skip
    return parse_assessment(yaml.safe_dump(doc), "audit.yaml", loaded)


def met(*ids: str) -> dict[str, Any]:
    return {i: {"rating": "met"} for i in ids}


def evidence(**values: float) -> EvidenceFile:
    moment = dt.datetime(2026, 11, 19, 12, 0, tzinfo=dt.UTC)
    how = LocalText(vi="kiểm thử", en="test")
    metrics = {
        k: LiveMetric(value=v, time=moment, source="sqlite: Xưởng A", detail=how)
        for k, v in values.items()
    }
    return EvidenceFile(plant="p", generated=moment, window_days=30, metrics=metrics)
