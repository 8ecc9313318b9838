"""The readiness report as one self-contained HTML page (inline CSS and SVG, no script, no
download), laid out for the screen and for printing to A4 PDF from the browser."""

from __future__ import annotations

from html import escape

from smkit.readiness.radar import radar_svg
from smkit.readiness.report import Data
from smkit.readiness.texts import Lang, text

STYLE = """
:root { --ink:#1d2733; --muted:#5b6775; --line:#d9dee4; --brand:#0b5cad; --soft:#f3f6f9; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
  color: var(--ink); margin: 0; font-size: 14px; line-height: 1.45; }
header { background: var(--brand); color: #fff; padding: 24px 40px; }
header h1 { margin: 0 0 6px; font-size: 24px; font-weight: 600; }
header p { margin: 2px 0; opacity: .92; }
main { padding: 8px 40px 40px; max-width: 1100px; }
section { margin-top: 28px; break-inside: avoid-page; }
h2 { font-size: 18px; color: var(--brand); border-bottom: 2px solid var(--line);
  padding-bottom: 4px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; gap: 16px; flex-wrap: wrap; }
.card { background: var(--soft); border-radius: 8px; padding: 14px 18px; min-width: 170px; }
.card .big { font-size: 28px; font-weight: 700; color: var(--brand); }
.card .small { color: var(--muted); }
.band { display: inline-block; min-width: 22px; text-align: center; border-radius: 4px;
  padding: 1px 6px; color: #fff; font-weight: 600; }
.b0 { background:#9aa5b1; } .b1 { background:#d9822b; } .b2 { background:#c9a227; }
.b3 { background:#5a9e3a; } .b4 { background:#2e8b57; } .b5 { background:#1f6f8b; }
.split { display: grid; grid-template-columns: 1.1fr 1fr; gap: 24px; align-items: start; }
svg.radar { width: 100%; max-width: 560px; }
svg.radar .ring { fill: none; stroke: var(--line); }
svg.radar .axis { stroke: var(--line); }
svg.radar .tick { font-size: 10px; fill: var(--muted); }
svg.radar .label { font-size: 11px; fill: var(--ink); }
svg.radar .legend { font-size: 12px; fill: var(--ink); }
svg.radar polygon.current, svg.radar rect.current { fill: rgba(11,92,173,.28); stroke: #0b5cad;
  stroke-width: 2; }
svg.radar polygon.target, svg.radar rect.target { fill: none; stroke: #d9822b; stroke-width: 2;
  stroke-dasharray: 6 4; }
.muted { color: var(--muted); }
.conflict { color: #a23b2a; }
ol.steps li { margin-bottom: 10px; }
ul.tight { margin: 4px 0; padding-left: 20px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { font-size: 11px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  header { padding: 14px 18px; } main { padding: 0 4px; max-width: none; }
  .split { grid-template-columns: 1fr 1fr; }
  tr { break-inside: avoid; }
}
"""


def render_html(data: Data) -> str:
    """The report of :func:`~smkit.readiness.report.report_data` as a standalone page."""
    lang: Lang = data["lang"]
    sections = [_summary(data, lang), _dimensions(data, lang), _gaps(data, lang),
                _roadmap(data, lang), _checklists(data, lang), _evidence(data, lang),
                _metrics(data, lang), _conflicts(data, lang)]  # fmt: skip
    facility = data["facility"]
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(text('report_title', lang))}: {escape(facility['name'])}</title>"
        f"<style>{STYLE}</style></head><body>{_header(data, lang)}<main>"
        + "".join(sections)
        + f"<footer>{escape(text('notice', lang))} {escape(data['framework']['name'])} "
        f"{escape(data['framework']['version'])}, sha256 {data['framework']['sha256'][:16]}"
        "</footer></main></body></html>\n"
    )


def _e(value: object) -> str:
    return escape(str(value))


def _band(band: int | None) -> str:
    return "-" if band is None else f'<span class="band b{band}">{band}</span>'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()

    def cell(tag: str, n: int, value: str) -> str:
        return f'<{tag} class="num">{value}</{tag}>' if n in numeric else f"<{tag}>{value}</{tag}>"

    head = "".join(cell("th", n, _e(h)) for n, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", n, v) for n, v in enumerate(r)) + "</tr>"
                   for r in rows)  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _header(data: Data, lang: Lang) -> str:
    facility = data["facility"]
    sme = text("answer_yes" if facility["sme"] else "answer_no", lang)
    return (
        f"<header><h1>{_e(text('report_title', lang))}</h1>"
        f"<p><strong>{_e(facility['name'])}</strong>, {_e(facility.get('province') or '')}</p>"
        f"<p>{_e(text('sector', lang))}: {_e(facility['sector_name'])} · {_e(text('size', lang))}: "
        f"{_e(facility['size_name'])} · {_e(text('sme', lang))}: {_e(sme)}</p>"
        f"<p>{_e(text('assessor', lang))}: {_e(data['assessor'])} · {_e(text('date', lang))}: "
        f"{_e(data['date'])} · {_e(text('framework', lang))}: {_e(data['framework']['name'])} "
        f"{_e(data['framework']['version'])}</p></header>"
    )


def _summary(data: Data, lang: Lang) -> str:
    dims = data["dimensions"]
    radar = radar_svg([d["name"] for d in dims], [d["band"] for d in dims],
                      [d["target"] for d in dims],
                      (text("current", lang), text("target", lang)))  # fmt: skip
    rows = []
    for block in data["blocks"]:
        rows.append([f"<strong>{_e(block['name'])}</strong>", "", f"{block['mean']:.2f}",
                     _band(block["minimum"])])  # fmt: skip
        rows += [["", _e(p["name"]), f"{p['mean']:.2f}", _band(p["minimum"])]
                 for p in block["pillars"]]  # fmt: skip
    headers = [text("block", lang), text("pillar", lang), text("mean", lang), text("minimum", lang)]
    cards = (
        f'<div class="cards"><div class="card"><div class="small">{_e(text("overall", lang))}'
        f'</div><div class="big">{data["overall"]:.2f}<span class="small"> / 5</span></div></div>'
        f'<div class="card"><div class="small">{_e(text("weakest", lang))}</div>'
        f'<div class="big">{data["minimum"]}</div></div></div>'
    )
    return (
        f'<section id="summary"><h2>{_e(text("summary", lang))}</h2>{cards}</section>'
        f'<section id="radar" class="split"><div><h2>{_e(text("radar", lang))}</h2>{radar}</div>'
        f'<div id="pillars"><h2>{_e(text("pillars", lang))}</h2>'
        f"{_table(headers, rows, {2, 3})}</div></section>"
    )


def _dimensions(data: Data, lang: Lang) -> str:
    rows = [[f"{_e(d['name'])}<div class='muted'>{_e(d['summary'])}</div>",
             f"{_band(d['band'])} {_e(d['band_name'])}", _band(d["target"]), _e(d["gap"]),
             f"{d['progress']:.0%}", f"{d['rated_share']:.0%}"
             + (f"<div class='conflict'>{_e(text('na_over_cap', lang))}</div>"
                if d["na_over_cap"] else "")]
            for d in data["dimensions"]]  # fmt: skip
    headers = [text(k, lang) for k in ("dimension", "band", "target", "gap", "progress",
                                       "rated_share")]  # fmt: skip
    return (f'<section id="dimensions"><h2>{_e(text("dimensions", lang))}</h2>'
            f"{_table(headers, rows, {3, 4, 5})}</section>")  # fmt: skip


def _gaps(data: Data, lang: Lang) -> str:
    open_ones = sorted((d for d in data["dimensions"] if d["gap"] > 0), key=lambda d: -d["gap"])
    if not open_ones:
        body = f"<p>{_e(text('no_gaps', lang))}</p>"
    else:
        rows = [[_e(d["name"]), f"{_band(d['band'])} → {_band(d['target'])}",
                 "<ul class='tight'>" + "".join(f"<li>{_e(c['id'])}: {_e(c['text'])}</li>"
                                                for c in d["blocking"]) + "</ul>"]
                for d in open_ones]  # fmt: skip
        body = _table([text("dimension", lang), text("gap", lang), text("blocking", lang)], rows)
    return f'<section id="gaps"><h2>{_e(text("gaps", lang))}</h2>{body}</section>'


def _roadmap(data: Data, lang: Lang) -> str:
    if not data["roadmap"]:
        return (f'<section id="roadmap"><h2>{_e(text("roadmap", lang))}</h2>'
                f"<p>{_e(text('no_steps', lang))}</p></section>")  # fmt: skip
    items = []
    for step in data["roadmap"]:
        details = [f"<li>{_e(a)}</li>" for a in step["actions"]]
        details += [f"<li class='muted'>{_e(c['id'])}: {_e(c['text'])}</li>"
                    for c in step["criteria"]]  # fmt: skip
        if step["enables"]:
            details.append(
                f"<li>{_e(text('enables', lang))}: {_e(', '.join(step['enables']))}</li>"
            )
        items.append(
            f"<li><strong>{_e(step['dimension_name'])}</strong> {_band(step['from'])} → "
            f"{_band(step['to'])} <span class='muted'>{_e(text('phase', lang))} {step['phase']} "
            f"({_e(step['phase_label'])}) · {_e(text('priority', lang))} {step['priority']:.3f}"
            f"</span><ul class='tight'>{''.join(details)}</ul></li>"
        )
    return (f'<section id="roadmap"><h2>{_e(text("roadmap", lang))}</h2>'
            f'<ol class="steps">{"".join(items)}</ol></section>')  # fmt: skip


def _checklists(data: Data, lang: Lang) -> str:
    parts = [f'<section id="checklist"><h2>{_e(text("checklist", lang))}</h2>']
    for checklist in data["checklists"]:
        rows = [[_e(i["name"]), _e(i["state_name"]) if i["applicable"]
                 else f"<span class='muted'>{_e(text('not_applicable_sector', lang))}</span>",
                 "✔" if i["adopted"] else ""] for i in checklist["items"]]  # fmt: skip
        parts.append(f"<h3>{_e(checklist['name'])} ({checklist['adopted']}/"
                     f"{checklist['applicable']})</h3>")  # fmt: skip
        headers = [text("item", lang), text("state", lang), text("adopted", lang)]
        parts.append(_table(headers, rows))
    return "".join(parts) + "</section>"


def _evidence(data: Data, lang: Lang) -> str:
    rows = []
    for d in data["dimensions"]:
        for c in d["criteria"]:
            if c["rating"] is None and c["source"] != "live":
                continue
            rating = text(c["rating"], lang) if c["rating"] else text("unrated", lang)
            if c["source"] == "live":
                rating += f" ({text('from_live_data', lang)}: {text(c['effective'], lang)})"
            refs = "; ".join(f"{e['kind']}: {e['ref']}" for e in c["evidence"]) or c["reason"]
            rows.append([_e(c["id"]), _e(c["text"]), _e(rating), _e(refs)])
    headers = [text("criterion", lang), "", text("rating", lang), text("evidence", lang)]
    return (f'<section id="evidence"><h2>{_e(text("evidence", lang))}</h2>'
            f"{_table(headers, rows)}</section>")  # fmt: skip


def _metrics(data: Data, lang: Lang) -> str:
    if not data["live_metrics"]:
        body = f"<p>{_e(text('no_live_data', lang))}</p>"
    else:
        rows = [[f"{_e(m['label'])}<div class='muted'>{_e(m['id'])}</div>", _e(m["shown"]),
                 _e(m["detail"]), _e(m["time"][:16].replace("T", " ")), _e(m["source"])]
                for m in data["live_metrics"]]  # fmt: skip
        headers = [text(k, lang) for k in ("metric", "value", "how", "measured", "source")]
        window = text("window", lang).format(days=f"{data['live_window_days']:g}")
        body = f"<p class='muted'>{_e(window)}</p>" + _table(headers, rows, {1})
    return f'<section id="live-data"><h2>{_e(text("live_data", lang))}</h2>{body}</section>'


def _conflicts(data: Data, lang: Lang) -> str:
    if not data["conflicts"]:
        body = f"<p>{_e(text('no_conflicts', lang))}</p>"
    else:
        rows = [[_e(c["id"]), _e(c["dimension"]), _e(text(c["rating"], lang)),
                 f"<span class='conflict'>{_e(c['message'])}</span>",
                 f"{_e(c['metric'])} = {c['value']:g} ({_e(c['rule'])})"]
                for c in data["conflicts"]]  # fmt: skip
        headers = [text(k, lang) for k in ("criterion", "dimension", "rating")]
        body = _table([*headers, "", text("rule", lang)], rows)
    return f'<section id="conflicts"><h2>{_e(text("conflicts", lang))}</h2>{body}</section>'
