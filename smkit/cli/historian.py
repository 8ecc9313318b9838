"""``smkit historian``: check the configured historian and look at what it holds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import PlantOption, local_time, table, with_historian
from smkit.errors import ConfigError, HistorianError
from smkit.historian import SqliteHistorian, open_historian
from smkit.plant import load_plant

app = typer.Typer(help="Check the historian and read from it.", no_args_is_help=True)


@app.command("ping")
def ping(plant_file: PlantOption = Path("plant.yaml")) -> None:
    """Check that the plant's historian answers; print its backend and version."""
    plant = load_plant(plant_file)
    health = with_historian(plant, lambda historian: historian.health())
    if not health.ok:
        raise HistorianError(f"{health.backend} historian is not available: {health.detail}")
    typer.echo(f"{health.backend} {health.version}: OK ({health.detail})")


@app.command("latest")
def latest(
    plant_file: PlantOption = Path("plant.yaml"),
    machine: Annotated[
        list[str] | None, typer.Option("--machine", "-m", help="Only this machine (repeatable).")
    ] = None,
) -> None:
    """Print the newest value of every signal, in the site's local time."""
    plant = load_plant(plant_file)
    samples = with_historian(plant, lambda historian: historian.latest(machine or None))
    rows = [
        [
            s.machine_id,
            s.signal,
            local_time(s.ts, plant.site.timezone),
            repr(s.value),
            s.quality.name.lower(),
        ]
        for s in samples
    ]
    typer.echo(table(["machine", "signal", "time", "value", "quality"], rows, empty="no data yet"))


@app.command("pack")
def pack(
    plant_file: PlantOption = Path("plant.yaml"),
    vacuum: Annotated[
        bool,
        typer.Option(help="Then give the space the rows took back to the disk (rewrites the "
                     "file: needs as much free space again, and time)."),
    ] = False,
) -> None:  # fmt: skip
    """Pack every sealed hour of the SQLite historian now (after an import, say): a collector
    does it by itself, a slice at a time."""
    plant = load_plant(plant_file)
    historian = open_historian(plant)
    if not isinstance(historian, SqliteHistorian):
        raise ConfigError(
            f"{plant_file}: historian.kind is {plant.historian.kind!r}; only the SQLite historian "
            "packs hours (InfluxDB compacts its own shards)"
        )

    async def run() -> int:
        async with historian:
            moved = await historian.pack()
            if vacuum:
                await historian.vacuum()
            return moved

    moved = asyncio.run(run())
    done = " and vacuumed" if vacuum else ""
    typer.echo(f"packed {moved:,} samples into hours{done}: {historian.path}")
