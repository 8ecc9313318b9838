"""``smkit historian``: check the configured historian and look at what it holds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import PlantOption, local_time, table
from smkit.errors import HistorianError
from smkit.historian import open_historian
from smkit.plant import load_plant

app = typer.Typer(help="Check the historian and read from it.", no_args_is_help=True)


@app.command("ping")
def ping(plant_file: PlantOption = Path("plant.yaml")) -> None:
    """Check that the plant's historian answers; print its backend and version."""
    plant = load_plant(plant_file)

    async def check() -> None:
        historian = open_historian(plant)
        try:
            health = await historian.health()
        finally:
            await historian.close()
        if not health.ok:
            raise HistorianError(f"{health.backend} historian is not available: {health.detail}")
        typer.echo(f"{health.backend} {health.version}: OK ({health.detail})")

    asyncio.run(check())


@app.command("latest")
def latest(
    plant_file: PlantOption = Path("plant.yaml"),
    machine: Annotated[
        list[str] | None, typer.Option("--machine", "-m", help="Only this machine (repeatable).")
    ] = None,
) -> None:
    """Print the newest value of every signal, in the site's local time."""
    plant = load_plant(plant_file)

    async def read() -> None:
        historian = open_historian(plant)
        try:
            samples = await historian.latest(machine or None)
        finally:
            await historian.close()
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
        typer.echo(
            table(["machine", "signal", "time", "value", "quality"], rows, empty="no data yet")
        )

    asyncio.run(read())
