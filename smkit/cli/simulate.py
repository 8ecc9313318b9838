"""``smkit simulate``: the simulated pilot factories and their ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import table
from smkit.cli.simulate_live import serve_command
from smkit.plant.base import parse_duration_s
from smkit.simulators.catalog import find_scenario, shipped
from smkit.simulators.run import simulate
from smkit.simulators.scenario import load_scenario
from smkit.simulators.truth import ground_truth, write_truth

app = typer.Typer(help="Simulated pilot factories with exact ground truth.", no_args_is_help=True)

ScenarioOption = Annotated[
    str, typer.Option("--scenario", "-s", help="A shipped scenario name or a scenario file.")
]


for _protocol in ("opcua", "mqtt", "all"):
    app.command(_protocol)(serve_command)


@app.command("list")
def list_scenarios() -> None:
    """List the shipped scenarios."""
    rows = []
    for path in shipped():
        loaded = load_scenario(path)
        machines = len(loaded.scenario.machines)
        rows.append(
            [path.parent.name, str(machines), loaded.scenario.title.en, loaded.scenario.title.vi]
        )
    typer.echo(table(["scenario", "machines", "title", "tên"], rows))


@app.command("truth")
def truth(
    scenario: ScenarioOption,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same run.")] = 1,
    duration: Annotated[str, typer.Option(help="Simulated time, e.g. 8h, 2d, 1d12h.")] = "1d",
    truth_file: Annotated[
        Path | None, typer.Option("--truth", help="Write the ground truth (JSON) here.")
    ] = None,
    events_file: Annotated[
        Path | None, typer.Option("--events", help="Write the event log (JSON lines) here.")
    ] = None,
) -> None:
    """Run a scenario without serving it; print and write its exact ground truth per shift."""
    loaded = find_scenario(scenario)
    try:
        seconds = parse_duration_s(duration)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--duration") from None
    log = simulate(loaded, seed, seconds)
    shifts = ground_truth(log)
    if truth_file is not None:
        write_truth(truth_file, log)
    if events_file is not None:
        events_file.write_text(log.json_lines())
    rows = [_row(shift.as_json()) for shift in shifts]
    typer.echo(
        table(["machine", "day", "shift", "planned h", "A", "P", "Q", "OEE", "good", "total"], rows)
    )


def _row(shift: dict[str, object]) -> list[str]:
    def percent(name: str) -> str:
        value = shift[name]
        return "-" if value is None else f"{100 * float(value):.1f}%"  # type: ignore[arg-type]

    planned = float(shift["planned_s"]) / 3600  # type: ignore[arg-type]
    return [
        str(shift["machine"]), str(shift["day"]), str(shift["shift"]), f"{planned:.2f}",
        percent("availability"), percent("performance"), percent("quality"), percent("oee"),
        str(shift["good"]), str(shift["total"]),
    ]  # fmt: skip
