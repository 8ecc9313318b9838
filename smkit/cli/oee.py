"""``smkit oee``: OEE reports, loss waterfalls and downtime Pareto, the list of stops, writing
KPI records, and recording late quality findings."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import typer

from smkit.cli.common import (
    PlantOption,
    cyclic_gc_paused,
    json_rows,
    local_time,
    table,
    with_historian,
)
from smkit.cli.oee_output import FORMATS, csv_text, joined, machine_pieces, pieces
from smkit.core.sample import Sample
from smkit.core.timeunits import NS_PER_S
from smkit.errors import ConfigError
from smkit.oee.parallel import Window, report_parts, report_results
from smkit.oee.report import pareto, waterfall
from smkit.oee.rollup import Bucket, Group, Level, roll_up
from smkit.oee.runner import machine_stops, run_once
from smkit.oee.stops import Stop
from smkit.plant import load_plant
from smkit.plant.machine import SignalRole
from smkit.plant.model import Plant

app = typer.Typer(help="Compute OEE from the historian: reports, losses, KPI records.",
                  no_args_is_help=True)  # fmt: skip

FromOption = Annotated[str, typer.Option("--from", help="Start, site local time: 2026-11-24 or "
                                         "2026-11-24T06:00 (an offset may be given).")]  # fmt: skip
ToOption = Annotated[str | None, typer.Option("--to", help="End (default: now).")]
MachineOption = Annotated[
    list[str] | None, typer.Option("--machine", "-m", help="Only this machine (repeatable).")
]
LineOption = Annotated[str | None, typer.Option("--line", help="A line: its machines, summed.")]
PER_HELP = "Sum per machine, line, area or site (default: machine; line with --line)."
PerOption = Annotated[str | None, typer.Option("--per", help=PER_HELP)]
LEVELS = ("machine", "line", "area", "site")
ByOption = Annotated[str, typer.Option("--by", help="shift, hour, day, week, month or window.")]
FormatOption = Annotated[str, typer.Option("--format", help="table, csv or json.")]
BUCKETS = ("shift", "hour", "day", "week", "month", "window")


def parse_moment(text: str, timezone: str, option: str) -> int:
    """A date or date-time in the site's local time (unless it has an offset), as UTC ns."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option} {text!r}: not a date or time (use 2026-11-24 or 2026-11-24T06:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp()) * NS_PER_S + moment.microsecond * 1000


def window(plant: Plant, start: str, end: str | None) -> tuple[int, int, int]:
    """(start, end, now) in UTC ns; ConfigError when the window is empty."""
    now = time.time_ns()
    start_ns = parse_moment(start, plant.site.timezone, "--from")
    end_ns = now if end is None else parse_moment(end, plant.site.timezone, "--to")
    if end_ns <= start_ns:
        raise ConfigError(f"the window ends before it starts: --to {end or 'now'} is not after "
                          f"--from {start}")  # fmt: skip
    return start_ns, end_ns, now


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{option} {value!r}: allowed are {', '.join(allowed)}")
    return value


def _selection(
    plant: Plant, machines: list[str] | None, line: str | None
) -> tuple[list[str] | None, Level]:
    known = plant.places()
    for machine in machines or []:
        if machine not in known:
            raise ConfigError(f"--machine {machine!r}: no such machine (known: {', '.join(known)})")
    if line is None:
        return machines or None, "machine"
    chosen = [m for m, place in known.items() if line in (place.line, f"{place.area}/{place.line}")]
    if not chosen:
        lines = sorted({p.line for p in known.values()})
        raise ConfigError(f"--line {line!r}: no such line (known: {', '.join(lines)})")
    return chosen, "line"


def _scope(
    plant: Plant,
    span: tuple[str, str | None],
    what: tuple[list[str] | None, str | None, str | None],
    by: str,
) -> tuple[Window, list[str] | None, Level, Bucket]:
    """The window, machines, level and bucket asked for: ``what`` is (machines, line, per)."""
    (start, end), (machines, line, per) = span, what
    bucket: Bucket = _choice(by, BUCKETS, "--by")  # type: ignore[assignment]
    start_ns, end_ns, now = window(plant, start, end)
    chosen, level = _selection(plant, machines, line)
    if per is not None:
        level = _choice(per, LEVELS, "--per")  # type: ignore[assignment]
    return (start_ns, end_ns, now, bucket == "hour"), chosen, level, bucket


@app.command("report")
def report(  # noqa: PLR0917 - typer maps each parameter to an option
    start: FromOption,
    plant_file: PlantOption = Path("plant.yaml"),
    end: ToOption = None,
    machine: MachineOption = None,
    line: LineOption = None,
    per: PerOption = None,
    by: ByOption = "shift",
    output: FormatOption = "table",
) -> None:
    """A, P, Q and OEE per machine, line, area or site and shift, hour, day, week or month."""
    fmt = _choice(output, FORMATS, "--format")
    plant = load_plant(plant_file)
    span, chosen, level, bucket = _scope(plant, (start, end), (machine, line, per), by)
    exclude = plant.oee.unknown_time == "excluded"
    with cyclic_gc_paused():
        if level == "machine":  # rows rendered where their machines were computed
            each = machine_pieces(bucket, fmt, exclude_unknown=exclude)
            found = report_parts(plant, span, chosen, each)
        else:
            groups = roll_up(report_results(plant, span, chosen), level, bucket)
            found = pieces(groups, fmt, exclude_unknown=exclude)
        shown = joined(found, fmt)
    typer.echo(shown)


def render_report(groups: list[Group], fmt: str, *, exclude_unknown: bool = False) -> str:
    """The report in ``table``, ``csv`` or ``json``."""
    return joined(pieces(groups, fmt, exclude_unknown=exclude_unknown), fmt)


@app.command("losses")
def losses(  # noqa: PLR0917 - typer maps each parameter to an option
    start: FromOption,
    plant_file: PlantOption = Path("plant.yaml"),
    end: ToOption = None,
    machine: MachineOption = None,
    line: LineOption = None,
    per: PerOption = None,
    lang: Annotated[str, typer.Option("--lang", help="Reason labels: en or vi.")] = "en",
) -> None:
    """The loss waterfall (six big losses) and the downtime Pareto over the whole window."""
    language = _choice(lang, ("en", "vi"), "--lang")
    plant = load_plant(plant_file)
    span, chosen, level, bucket = _scope(plant, (start, end), (machine, line, per), "window")
    groups = roll_up(report_results(plant, span, chosen), level, bucket)
    for group in groups:
        typer.echo(f"{group.entity}: {group.elements.planned_ns / 3600 / NS_PER_S:.2f} h planned")
        typer.echo(render_losses(group, plant, language))  # type: ignore[arg-type]
        typer.echo("")


def render_losses(group: Group, plant: Plant, lang: Literal["en", "vi"]) -> str:
    """Waterfall of planned time, then downtime by reason (largest first) with shares."""
    steps = table(["loss", "hours", "share of planned"],
                  [[step.name, f"{float(step.ns) / 3600 / NS_PER_S:.3f}",
                    f"{100 * float(step.share):.2f} %"]
                   for step in waterfall(group.elements)])  # fmt: skip
    ranked = [[entry.reason, entry.label, f"{entry.ns / 60 / NS_PER_S:.1f}",
               f"{100 * float(entry.share):.1f} %", f"{100 * float(entry.cumulative):.1f} %"]
              for entry in pareto(group.elements, plant.reasons, lang)]  # fmt: skip
    downtime = table(["reason", "label", "minutes", "share", "cumulative"], ranked,
                     empty="no downtime")  # fmt: skip
    return f"{steps}\n\n{downtime}"


@app.command("downtime")
def downtime(  # noqa: PLR0917 - typer maps each parameter to an option
    start: FromOption,
    plant_file: PlantOption = Path("plant.yaml"),
    end: ToOption = None,
    machine: MachineOption = None,
    line: LineOption = None,
    output: FormatOption = "table",
    lang: Annotated[str, typer.Option("--lang", help="Reason labels: en or vi.")] = "en",
) -> None:
    """Every stop in planned time, measured to its end: start, end, class, reason, failure."""
    fmt = _choice(output, ("table", "csv", "json"), "--format")
    language: Literal["en", "vi"] = _choice(lang, ("en", "vi"), "--lang")  # type: ignore[assignment]
    plant = load_plant(plant_file)
    start_ns, end_ns, now = window(plant, start, end)
    chosen, _ = _selection(plant, machine, line)
    found = with_historian(plant, lambda historian: machine_stops(
        plant, historian, start_ns, end_ns, horizon_ns=now, machines=chosen))  # fmt: skip
    typer.echo(render_stops(found, plant, fmt, language))


def render_stops(
    found: dict[str, list[Stop]], plant: Plant, fmt: str, lang: Literal["en", "vi"]
) -> str:
    """The stops as a table, CSV or JSON (times in the site's zone, lengths in seconds)."""
    labels = {reason.code: getattr(reason.label, lang) for reason in plant.reasons}
    zone = plant.site.timezone
    rows = [
        {"machine": machine, "start_ns": stop.start_ns, "end_ns": stop.end_ns,
         "start": local_time(stop.start_ns, zone),
         "end": local_time(stop.end_ns, zone), "length_s": stop.length_ns / NS_PER_S,
         "planned_s": stop.planned_ns / NS_PER_S, "kind": stop.kind, "reason": stop.reason,
         "label": labels.get(stop.reason, ""), "is_failure": stop.is_failure,
         "open_start": stop.open_start, "open_end": stop.open_end}
        for machine, machine_stops_ in found.items() for stop in machine_stops_
    ]  # fmt: skip
    if fmt == "json":
        return json_rows(rows)
    headers = ["machine", "start", "end", "minutes", "kind", "reason", "label", "failure"]
    cells = [[row["machine"], row["start"], ("…" if row["open_end"] else "") + row["end"],
              f"{row['length_s'] / 60:.1f}", row["kind"], row["reason"], row["label"],
              "yes" if row["is_failure"] else ""] for row in rows]  # fmt: skip
    if fmt == "csv":
        return csv_text(headers, cells)
    return table(headers, cells, empty="no stops in planned time in that window")


@app.command("run")
def run(
    start: FromOption,
    plant_file: PlantOption = Path("plant.yaml"),
    end: ToOption = None,
) -> None:
    """Compute every machine's shifts in the window and write ``oee`` and ``downtime`` records
    and the exact period records the API serves closed shifts from."""
    plant = load_plant(plant_file)
    start_ns, end_ns, now = window(plant, start, end)

    written = with_historian(
        plant, lambda historian: run_once(plant, historian, start_ns, end_ns, horizon_ns=now)
    )
    typer.echo(f"{written} records written")


AtOption = Annotated[str, typer.Option("--at", help="When the units were made (counted), site "
                                       "local time: 2026-11-24T09:00.")]  # fmt: skip


@app.command("finding")
def finding(
    machine: Annotated[str, typer.Option("--machine", "-m", help="The machine that made them.")],
    at: AtOption,
    plant_file: PlantOption = Path("plant.yaml"),
    scrap: Annotated[int, typer.Option("--scrap", help="Units found to be scrap.")] = 0,
    rework: Annotated[int, typer.Option("--rework", help="Units found to need rework.")] = 0,
) -> None:
    """Record a late quality finding: units made at --at found to be scrap or to need rework.

    It is written as a sample of the machine's late_scrap or late_rework signal at that time; a
    second finding at the same time replaces the first (write it again to correct it).
    """
    plant = load_plant(plant_file)
    ts = parse_moment(at, plant.site.timezone, "--at")
    if scrap < 0 or rework < 0 or not scrap + rework:
        raise ConfigError("give --scrap and/or --rework as a number of units above zero")
    samples = [
        Sample(machine, _finding_signal(plant, machine, role), ts, units)
        for role, units in ((SignalRole.LATE_SCRAP, scrap), (SignalRole.LATE_REWORK, rework))
        if units
    ]

    with_historian(plant, lambda historian: historian.write_samples(samples))
    typer.echo(f"{machine}: " + ", ".join(f"{s.value} units {s.signal}" for s in samples)
               + f" at {at}")  # fmt: skip


def _finding_signal(plant: Plant, machine: str, role: SignalRole) -> str:
    machines = {m.id: m for _, m in plant.machines()}
    if machine not in machines:
        raise ConfigError(f"--machine {machine!r}: no such machine (known: {', '.join(machines)})")
    name = next((s.name for s in machines[machine].signals if s.role is role), None)
    if name is None:
        example = f"{{name: qa_{role.value.removeprefix('late_')}, role: {role.value}}}"
        raise ConfigError(f"machine {machine!r} has no {role.value} signal; add one to its "
                          f"signals in plant.yaml, for example: - {example}")  # fmt: skip
    return name
