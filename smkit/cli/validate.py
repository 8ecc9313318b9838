"""``smkit validate``: check a plant.yaml and summarise what it declares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smkit.plant import load_plant


def validate(
    plant_file: Annotated[
        Path, typer.Argument(help="The plant.yaml to check.", show_default=False)
    ],
) -> None:
    """Check a plant.yaml: shape, references, calendars and secrets. Exit 2 on any problem."""
    plant = load_plant(plant_file)
    machines = [machine for _, machine in plant.machines()]
    lines = sum(len(area.lines) for area in plant.site.areas)
    signals = sum(len(machine.signals) for machine in machines)
    historian = plant.historian
    where = (
        historian.path if historian.kind == "sqlite" else f"{historian.url} db={historian.database}"
    )
    typer.echo(
        f"{plant_file}: OK: site {plant.site.id} ({plant.site.timezone}), "
        f"{len(plant.site.areas)} areas, {lines} lines, {len(machines)} machines, "
        f"{signals} signals; "
        f"historian {historian.kind} ({where})"
    )
