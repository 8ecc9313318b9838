"""The readiness report as Markdown (for a wiki, an email, a pull request)."""

from __future__ import annotations

from smkit.readiness.report import Data
from smkit.readiness.texts import Lang, text


def render_md(data: Data) -> str:
    """The report of :func:`~smkit.readiness.report.report_data` as Markdown."""
    lang: Lang = data["lang"]

    def t(key: str) -> str:
        return text(key, lang)

    facility = data["facility"]
    lines = [
        f"# {t('report_title')}: {facility['name']}",
        "",
        f"- {t('sector')}: {facility['sector_name']}; {t('size')}: {facility['size_name']}; "
        f"{t('sme')}: {t('answer_yes') if facility['sme'] else t('answer_no')}",
        f"- {t('assessor')}: {data['assessor']}; {t('date')}: {data['date']}",
        f"- {t('framework')}: {data['framework']['name']} {data['framework']['version']} "
        f"(sha256 {data['framework']['sha256'][:12]})",
        "",
        f"## {t('summary')}",
        "",
        f"{t('overall')}: **{data['overall']:.2f}** / 5; {t('weakest')}: {data['minimum']}",
        "",
        f"## {t('pillars')}",
        "",
        *_table([t("block"), t("pillar"), t("mean"), t("minimum")], _pillar_rows(data)),
        "",
        f"## {t('dimensions')}",
        "",
        *_table([t("dimension"), t("band"), t("target"), t("gap"), t("progress")],
                [[d["name"], f"{d['band']} {d['band_name']}", _maybe(d["target"]),
                  str(d["gap"]), f"{d['progress']:.0%}"] for d in data["dimensions"]]),
        "",
        f"## {t('gaps')}",
        "",
        *_gaps(data, lang),
        f"## {t('roadmap')}",
        "",
        *_roadmap(data, lang),
        f"## {t('checklist')}",
        "",
        *_checklists(data, lang),
        f"## {t('live_data')}",
        "",
        *_metrics(data, lang),
        f"## {t('conflicts')}",
        "",
        *_conflicts(data, lang),
        f"_{t('notice')}_",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [row(headers), "|" + "---|" * len(headers), *(row(r) for r in rows)]


def _maybe(value: object) -> str:
    return "-" if value is None else str(value)


def _pillar_rows(data: Data) -> list[list[str]]:
    rows = []
    for block in data["blocks"]:
        rows.append([f"**{block['name']}**", "", f"{block['mean']:.2f}", str(block["minimum"])])
        rows += [["", p["name"], f"{p['mean']:.2f}", str(p["minimum"])] for p in block["pillars"]]
    return rows


def _gaps(data: Data, lang: Lang) -> list[str]:
    open_ones = [d for d in data["dimensions"] if d["gap"] > 0]
    if not open_ones:
        return [text("no_gaps", lang), ""]
    lines = []
    for d in sorted(open_ones, key=lambda d: -d["gap"]):
        lines.append(f"- **{d['name']}**: {d['band']} → {d['target']}")
        lines += [f"  - {c['id']}: {c['text']}" for c in d["blocking"]]
    return [*lines, ""]


def _roadmap(data: Data, lang: Lang) -> list[str]:
    if not data["roadmap"]:
        return [text("no_steps", lang), ""]
    lines = []
    for step in data["roadmap"]:
        when = f"{text('phase', lang)} {step['phase']}: {step['phase_label']}"
        why = f"{text('priority', lang)} {step['priority']:.3f}"
        lines.append(f"{step['number']}. **{step['dimension_name']}** {step['from']} → "
                     f"{step['to']} ({when}; {why})")  # fmt: skip
        lines += [f"   - {action}" for action in step["actions"]]
        lines += [f"   - {c['id']}: {c['text']}" for c in step["criteria"]]
        if step["enables"]:
            lines.append(f"   - {text('enables', lang)}: {', '.join(step['enables'])}")
    return [*lines, ""]


def _checklists(data: Data, lang: Lang) -> list[str]:
    lines = []
    for checklist in data["checklists"]:
        lines += [f"### {checklist['name']} ({checklist['adopted']}/{checklist['applicable']})", ""]
        elsewhere = text("not_applicable_sector", lang)
        rows = [[item["name"], item["state_name"] if item["applicable"] else elsewhere]
                for item in checklist["items"]]  # fmt: skip
        lines += [*_table([text("item", lang), text("state", lang)], rows), ""]
    return lines


def _metrics(data: Data, lang: Lang) -> list[str]:
    if not data["live_metrics"]:
        return [text("no_live_data", lang), ""]
    rows = [[f"{m['label']} (`{m['id']}`)", m["shown"], m["detail"], m["time"], m["source"]]
            for m in data["live_metrics"]]  # fmt: skip
    headers = [text(k, lang) for k in ("metric", "value", "how", "measured", "source")]
    window = text("window", lang).format(days=f"{data['live_window_days']:g}")
    return [window, "", *_table(headers, rows), ""]


def _conflicts(data: Data, lang: Lang) -> list[str]:
    if not data["conflicts"]:
        return [text("no_conflicts", lang), ""]
    lines = [f"- {c['id']} ({c['dimension']}): {c['message']} ({c['metric']} = {c['value']:g}, "
             f"{text('rule', lang)}: {c['rule']})" for c in data["conflicts"]]  # fmt: skip
    return [*lines, ""]
