"""``smkit dashboards``: write the Grafana provisioning files and dashboards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import PlantOption
from smkit.plant import load_plant

app = typer.Typer(help="Grafana dashboards: export them for provisioning.", no_args_is_help=True)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="The folder to write them under.")],
    plant_file: PlantOption = Path("plant.yaml"),
) -> None:
    """Write provisioning/ (data source, dashboard provider) and json/ (every dashboard, vi and
    en) under OUT; the plant gives the time zone and the process signals."""
    from smkit.dashboards.catalog import export as write_all  # noqa: PLC0415 - only here

    written = write_all(load_plant(plant_file), out)
    typer.echo(f"wrote {len(written)} files under {out}")
