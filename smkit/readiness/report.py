"""What a readiness report says, in one language, as plain data: the JSON report is exactly
this; the Markdown and HTML reports render it (``render_md``, ``render_html``)."""

from __future__ import annotations

from typing import Any

from smkit.plant.base import LocalText
from smkit.readiness.assessment import Assessment
from smkit.readiness.evidence import EvidenceFile
from smkit.readiness.framework import Framework, LoadedFramework
from smkit.readiness.roadmap import Step
from smkit.readiness.scoring import Conflict, CriterionResult, DimensionResult, Score
from smkit.readiness.texts import TEXTS, Lang, text

Data = dict[str, Any]


def report_data(  # noqa: PLR0917 - the report's inputs, each needed
    loaded: LoadedFramework,
    assessment: Assessment,
    scored: Score,
    steps: list[Step],
    evidence: EvidenceFile | None,
    lang: Lang,
) -> Data:
    """Everything the report shows, with every text in ``lang``."""
    framework = loaded.framework
    return {
        "lang": lang,
        "framework": {"id": framework.id, "version": framework.version, "sha256": loaded.sha256,
                      "name": _t(framework.name, lang)},
        "facility": {**assessment.facility.model_dump(mode="json"),
                     "sector_name": _t(framework.sectors[assessment.facility.sector], lang)
                     if assessment.facility.sector in framework.sectors
                     else assessment.facility.sector,
                     "size_name": text(f"size_{assessment.facility.size}", lang)},
        "assessor": assessment.assessor,
        "date": assessment.date.isoformat(),
        "overall": round(float(scored.overall), 2),
        "minimum": scored.minimum,
        "band_names": {str(b): _t(name, lang) for b, name in sorted(framework.band_names.items())},
        "blocks": _blocks(framework, scored, lang),
        "dimensions": [_dimension(framework, scored.dimensions[d.id], assessment, lang)
                       for _, _, d in framework.dimensions()],
        "roadmap": [_step(framework, step, lang) for step in steps],
        "checklists": _checklists(framework, scored, lang),
        "live_metrics": _metrics(evidence, lang),
        "live_window_days": evidence.window_days if evidence else None,
        "conflicts": [_conflict(framework, c, lang) for c in scored.conflicts],
    }  # fmt: skip


def _t(value: LocalText, lang: Lang) -> str:
    return value.vi if lang == "vi" else value.en


def _blocks(framework: Framework, scored: Score, lang: Lang) -> list[Data]:
    return [{
        "id": block.id, "name": _t(block.name, lang),
        "mean": round(float(scored.blocks[block.id].mean), 2),
        "minimum": scored.blocks[block.id].minimum,
        "pillars": [{"id": p.id, "name": _t(p.name, lang),
                     "mean": round(float(scored.pillars[p.id].mean), 2),
                     "minimum": scored.pillars[p.id].minimum} for p in block.pillars],
    } for block in framework.building_blocks]  # fmt: skip


def _dimension(
    framework: Framework, result: DimensionResult, assessment: Assessment, lang: Lang
) -> Data:
    dimension = framework.dimension_by_id[result.id]
    return {
        "id": result.id, "name": _t(dimension.name, lang), "block": result.block,
        "pillar": result.pillar, "band": result.band,
        "band_name": _t(framework.band_names[result.band], lang),
        "summary": _t(dimension.bands[result.band].summary, lang),
        "target": result.target, "gap": result.gap,
        "progress": round(float(result.progress), 2),
        "rated_share": round(float(result.rated_share), 2),
        "na_over_cap": result.na_over_cap,
        "blocking": [_criterion_text(framework, c, lang) for c in result.blocking],
        "criteria": [_criterion(framework, r, assessment, lang) for r in result.criteria],
    }  # fmt: skip


def _criterion_text(framework: Framework, criterion: str, lang: Lang) -> Data:
    return {"id": criterion, "text": _t(framework.criterion_by_id[criterion][2].text, lang)}


def _criterion(
    framework: Framework, result: CriterionResult, assessment: Assessment, lang: Lang
) -> Data:
    given = assessment.ratings.get(result.id)
    live = result.live
    return {
        **_criterion_text(framework, result.id, lang),
        "band": result.band, "required": result.required,
        "rating": result.rating, "effective": result.effective, "source": result.source,
        "reason": given.reason if given else "",
        "evidence": [e.model_dump(mode="json") for e in given.evidence] if given else [],
        "live": None if live is None else {
            "metric": live.metric, "value": live.value, "rule": live.rule,
            "passes": live.passes, "fresh": live.fresh,
        },
    }  # fmt: skip


def _step(framework: Framework, step: Step, lang: Lang) -> Data:
    dimensions = framework.dimension_by_id
    return {
        "number": step.number, "phase": step.phase,
        "phase_label": text(f"phase_{step.phase}", lang),
        "dimension": step.dimension, "dimension_name": _t(dimensions[step.dimension].name, lang),
        "from": step.from_band, "to": step.to_band,
        "priority": round(float(step.priority), 3),
        "criteria": [_criterion_text(framework, c, lang) for c in step.criteria],
        "actions": [_t(action, lang) for action in step.actions],
        "enables": [_t(dimensions[d].name, lang) for d in step.enables],
    }  # fmt: skip


def _checklists(framework: Framework, scored: Score, lang: Lang) -> list[Data]:
    out = []
    for checklist, result in zip(framework.checklists, scored.checklists, strict=True):
        items = [{
            "id": item.id, "name": _t(item.name, lang), "state": result.states[item.id],
            "state_name": _t(checklist.states[result.states[item.id]], lang),
            "applicable": item.id in result.applicable, "adopted": item.id in result.adopted,
        } for item in checklist.items]  # fmt: skip
        out.append({"id": checklist.id, "name": _t(checklist.name, lang), "items": items,
                    "applicable": len(result.applicable), "adopted": len(result.adopted),
                    "certified": len(result.certified)})  # fmt: skip
    return out


def _metrics(evidence: EvidenceFile | None, lang: Lang) -> list[Data]:
    if evidence is None:
        return []
    return [{"id": name, "label": text(f"metric_{name}", lang) if f"metric_{name}" in TEXTS
             else name, "value": metric.value, "shown": _shown(name, metric.value),
             "time": metric.time.isoformat(), "source": metric.source,
             "detail": _t(metric.detail, lang)}
            for name, metric in sorted(evidence.metrics.items())]  # fmt: skip


def _shown(name: str, value: float) -> str:
    """Shares as percentages, the rest as plain numbers."""
    if name.endswith("_share") or name == "data_completeness":
        return f"{value * 100:.1f} %"
    return f"{value:g}"


def _conflict(framework: Framework, conflict: Conflict, lang: Lang) -> Data:
    return {
        **_criterion_text(framework, conflict.criterion, lang),
        "dimension": _t(framework.dimension_by_id[conflict.dimension].name, lang),
        "rating": conflict.rating, "metric": conflict.check.metric,
        "value": conflict.check.value, "rule": conflict.check.rule, "kind": conflict.kind,
        "message": text(conflict.kind, lang),
    }  # fmt: skip
