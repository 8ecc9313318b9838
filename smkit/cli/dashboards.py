"""``smkit dashboards``: write the Grafana provisioning files and dashboards."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import PlantOption
from smkit.errors import ConfigError
from smkit.plant import load_plant

app = typer.Typer(help="Grafana dashboards: export them for provisioning, or publish them.",
                  no_args_is_help=True)  # fmt: skip


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


@app.command("publish")
def publish(
    url: Annotated[str, typer.Option("--url", help="Grafana's address: http://grafana:3000.")],
    token_env: Annotated[
        str,
        typer.Option(
            "--token-env",
            help=("The environment variable holding a Grafana service account token."),
        ),
    ],
    folder: Annotated[str, typer.Option("--folder", help="The folder's title.")] = "smkit",
    plant_file: PlantOption = Path("plant.yaml"),
) -> None:
    """Upsert every dashboard (vi and en) into Grafana's smkit folder; again changes nothing."""
    from smkit.dashboards.publish import publish as upsert  # noqa: PLC0415 - only here

    token = os.environ.get(token_env, "")
    if not token:
        raise ConfigError(f"--token-env {token_env}: that environment variable is not set "
                          "(it holds a Grafana service account token, Editor role)")  # fmt: skip
    done = upsert(load_plant(plant_file), url, token, folder)
    changed = [p.uid for p in done if p.changed]
    typer.echo(f"{len(changed)} of {len(done)} dashboards changed in folder {folder!r} at {url}"
               + (f": {', '.join(changed)}" if changed else ""))  # fmt: skip
