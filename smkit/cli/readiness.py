"""``smkit readiness``: frameworks, assessment templates, live evidence, scores, reports,
comparisons and portfolios."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import PlantOption, table, with_historian
from smkit.cli.oee import parse_moment
from smkit.errors import ConfigError
from smkit.historian.protocol import Record
from smkit.plant import load_plant
from smkit.readiness.assessment import open_assessment
from smkit.readiness.evidence import EvidenceFile, load_evidence
from smkit.readiness.framework import bundled_frameworks, load_framework
from smkit.readiness.live import measure
from smkit.readiness.portfolio import Scored, benchmark, compare, portfolio
from smkit.readiness.records import readiness_records
from smkit.readiness.render_html import render_html
from smkit.readiness.render_md import render_md
from smkit.readiness.report import report_data
from smkit.readiness.roadmap import roadmap
from smkit.readiness.scoring import score
from smkit.readiness.template import template_text
from smkit.readiness.texts import Lang

app = typer.Typer(help="Assess smart-manufacturing readiness: score, gaps, roadmap, reports.",
                  no_args_is_help=True)  # fmt: skip

EvidenceOption = Annotated[
    Path | None, typer.Option("--evidence", help="Live-data metrics (smkit readiness evidence).")
]
FrameworkOption = Annotated[
    str | None, typer.Option("--framework", help="A framework file (default: the one named).")
]
LangOption = Annotated[str, typer.Option("--lang", help="vi or en.")]


def _lang(value: str) -> Lang:
    if value not in ("vi", "en"):
        raise ConfigError(f"--lang {value!r}: allowed are vi, en")
    return value  # type: ignore[return-value]


def _scored(path: Path, framework: str | None, evidence: Path | None) -> Scored:
    loaded, assessment = open_assessment(path, framework)
    live = load_evidence(evidence) if evidence is not None else None
    return Scored(assessment, score(loaded.framework, assessment, live))


@app.command("frameworks")
def frameworks() -> None:
    """The bundled frameworks: id, version, dimensions, criteria."""
    rows = []
    for name, path in sorted(bundled_frameworks().items()):
        framework = load_framework(path).framework
        rows.append([name, framework.version, str(len(framework.dimension_by_id)),
                     str(len(framework.criterion_by_id)), str(len(framework.item_by_id)),
                     framework.name.en])  # fmt: skip
    typer.echo(table(["id", "version", "dimensions", "criteria", "checklist", "name"], rows))


@app.command("init")
def init(
    out: Annotated[Path, typer.Option("--out", "-o", help="The assessment file to write.")],
    framework: Annotated[str, typer.Option("--framework", help="Framework id or file.")] = "smr-vn",
    lang: LangOption = "vi",
) -> None:
    """Write an assessment template listing every criterion, to fill in."""
    if out.exists():
        raise ConfigError(f"{out}: already exists; choose another --out")
    loaded = load_framework(framework)
    out.write_text(template_text(loaded, dt.date.today(), _lang(lang)), encoding="utf-8")
    typer.echo(f"wrote {out} ({len(loaded.framework.criterion_by_id)} criteria to rate)")


@app.command("evidence")
def evidence_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="The evidence file to write (JSON).")],
    plant_file: PlantOption = Path("plant.yaml"),
    end: Annotated[
        str | None, typer.Option("--to", help="End of the window (default: now).")
    ] = None,
    days: Annotated[float, typer.Option("--days", min=1, help="Length of the window.")] = 30,
) -> None:
    """Measure live-data metrics (connectivity, sampling, completeness, OEE) from the historian."""
    plant = load_plant(plant_file)
    end_ns = time.time_ns() if end is None else parse_moment(end, plant.site.timezone, "--to")

    measured = with_historian(plant, lambda historian: measure(plant, historian, end_ns, days))
    out.write_text(measured.model_dump_json(indent=1) + "\n", encoding="utf-8")
    rows = [[name, f"{m.value:g}", m.detail.en] for name, m in measured.metrics.items()]
    typer.echo(table(["metric", "value", "how"], rows))
    typer.echo(f"wrote {out}")


@app.command("score")
def score_command(
    assessment: Annotated[Path, typer.Argument(help="The assessment file.")],
    evidence: EvidenceOption = None,
    framework: FrameworkOption = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Write `readiness` records to this plant's historian."),
    ] = None,
) -> None:
    """Band per dimension, pillar and block aggregates, overall index, gaps and conflicts."""
    result = _scored(assessment, framework, evidence)
    scored = result.score
    if write is not None:
        _write(write, readiness_records(result.assessment, scored))
    if output == "json":
        rows = {
            d: {"band": r.band, "target": r.target, "gap": r.gap, "progress": float(r.progress)}
            for d, r in scored.dimensions.items()
        }
        summary = {"overall": float(scored.overall), "minimum": scored.minimum}
        typer.echo(json.dumps({**summary, "dimensions": rows, "conflicts": len(scored.conflicts)}))
        return
    if output != "table":
        raise ConfigError(f"--format {output!r}: allowed are table, json")
    rows_out = [[d, str(r.band), "-" if r.target is None else str(r.target), str(r.gap),
                 f"{float(r.progress):.0%}", ", ".join(r.blocking)]
                for d, r in scored.dimensions.items()]  # fmt: skip
    typer.echo(table(["dimension", "band", "target", "gap", "progress", "blocking"], rows_out))
    typer.echo(f"overall {float(scored.overall):.2f} / 5, lowest band {scored.minimum}, "
               f"{len(scored.conflicts)} conflicts with live data")  # fmt: skip
    for conflict in scored.conflicts:
        said = "counted as not met" if conflict.kind == "contradicts" else "review the rating"
        typer.echo(f"  {conflict.criterion}: rated {conflict.rating or 'unrated'}, live "
                   f"{conflict.check.metric} = {conflict.check.value:g} ({conflict.check.rule}): "
                   f"{said}")  # fmt: skip


def _write(plant_file: Path, records: list[Record]) -> None:
    plant = load_plant(plant_file)

    with_historian(plant, lambda historian: historian.write_records(records))
    typer.echo(f"wrote {len(records)} readiness records to the historian of {plant_file}", err=True)


@app.command("report")
def report(  # noqa: PLR0917 - typer maps each parameter to an option
    assessment: Annotated[Path, typer.Argument(help="The assessment file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The report file to write.")],
    lang: LangOption = "vi",
    output: Annotated[str, typer.Option("--format", help="html, md or json.")] = "html",
    evidence: EvidenceOption = None,
    framework: FrameworkOption = None,
) -> None:
    """The readiness report: radar, pillars, gaps, roadmap, checklist, evidence, live data."""
    language = _lang(lang)
    if output not in ("html", "md", "json"):
        raise ConfigError(f"--format {output!r}: allowed are html, md, json")
    loaded, checked = open_assessment(assessment, framework)
    live: EvidenceFile | None = load_evidence(evidence) if evidence is not None else None
    scored = score(loaded.framework, checked, live)
    steps = roadmap(loaded.framework, checked, scored)
    data = report_data(loaded, checked, scored, steps, live, language)
    rendered = {"html": render_html, "md": render_md}.get(output)
    body = rendered(data) if rendered else json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    out.write_text(body, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("compare")
def compare_command(
    before: Annotated[Path, typer.Argument(help="The earlier assessment.")],
    after: Annotated[Path, typer.Argument(help="The later assessment.")],
) -> None:
    """Progress between two assessments of one enterprise."""
    result = compare(_scored(before, None, None), _scored(after, None, None))
    rows = [[c.dimension, str(c.before), str(c.after), f"{c.delta:+d}"] for c in result.changes]
    typer.echo(table(["dimension", "before", "after", "change"], rows))
    old, new = float(result.before.score.overall), float(result.after.score.overall)
    typer.echo(f"overall {old:.2f} -> {new:.2f} ({float(result.overall_delta):+.2f})")
    for item, was, now in result.checklist_changes:
        typer.echo(f"checklist {item}: {was} -> {now}")


def _folder(folder: Path) -> list[Scored]:
    files = sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json"))
    if not folder.is_dir() or not files:
        raise ConfigError(f"{folder}: no assessment files (*.yaml, *.json) in that folder")
    return [_scored(path, None, None) for path in files]


@app.command("benchmark")
def benchmark_command(
    assessment: Annotated[Path, typer.Argument(help="The enterprise's assessment.")],
    peers: Annotated[Path, typer.Argument(help="A folder of peers' assessments.")],
) -> None:
    """Percentile of each dimension among peers of the same sector and size."""
    result = benchmark(_scored(assessment, None, None), _folder(peers))
    rows = [[s.dimension, str(s.band), f"{float(s.percentile) * 100:.0f}",
             f"{float(s.median):.1f}"] for s in result.standings]  # fmt: skip
    typer.echo(f"peers: {result.peers} ({result.group})")
    typer.echo(table(["dimension", "band", "percentile", "peer median"], rows))


@app.command("portfolio")
def portfolio_command(
    folder: Annotated[Path, typer.Argument(help="A folder of assessments.")],
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """A programme's roll-up: enterprises per band per dimension, adoption of each item."""
    result = portfolio(_folder(folder))
    if output == "json":
        typer.echo(json.dumps({"enterprises": result.enterprises, "bands": result.bands,
                               "adoption": result.adoption, "by_sector": result.by_sector},
                              indent=1))  # fmt: skip
        return
    rows = [[d, *(str(counts[b]) for b in range(6))] for d, counts in result.bands.items()]
    typer.echo(
        f"{result.enterprises} enterprises; by sector: "
        + ", ".join(f"{s} {n}" for s, n in result.by_sector.items())
    )
    typer.echo(table(["dimension", "band 0", "1", "2", "3", "4", "5"], rows))
    adoption = [[item, f"{a}/{n}", f"{100 * a / n:.0f} %"]
                for item, (a, n) in result.adoption.items() if n]  # fmt: skip
    typer.echo(table(["checklist item", "adopted", "rate"], adoption))
