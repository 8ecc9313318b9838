"""The ``smkit`` command: one typer app, one module per command group, one error policy.

User mistakes (:class:`~smkit.errors.ConfigError`) print one line per problem and exit 2; other
smkit errors print one line and exit 1. Neither prints a traceback.
"""

from __future__ import annotations

import gc
import sys

import typer

from smkit import __version__
from smkit.cli import (
    collect,
    dashboards,
    historian,
    mqtt,
    oee,
    opcua,
    outbox,
    readiness,
    serve,
    simulate,
    validate,
)
from smkit.errors import ConfigError, SmkitError

EXIT_USER_ERROR = 2
EXIT_FAILURE = 1

app = typer.Typer(
    name="smkit",
    help="Smart-manufacturing kit: collect machine data, compute OEE, assess readiness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("validate")(validate.validate)
app.command("collect")(collect.collect)
app.command("status")(collect.status)
app.add_typer(historian.app, name="historian")
app.add_typer(outbox.app, name="outbox")
app.add_typer(simulate.app, name="simulate")
app.add_typer(opcua.app, name="opcua")
app.add_typer(mqtt.app, name="mqtt")
app.add_typer(oee.app, name="oee")
app.add_typer(readiness.app, name="readiness")
app.command("serve")(serve.serve)
app.add_typer(serve.keys_app, name="api-key")
app.add_typer(dashboards.app, name="dashboards")


@app.command("version")
def version() -> None:
    """Print the smkit version."""
    typer.echo(f"smkit {__version__} (Python {sys.version.split()[0]})")


def main() -> None:
    """Entry point of the ``smkit`` console script."""
    # What is loaded by now (modules, pydantic schemas) lives as long as the process: out of the
    # collector's sight, full collections stay short while a report reads millions of rows.
    gc.freeze()
    try:
        app()
    except ConfigError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        sys.exit(EXIT_USER_ERROR)
    except SmkitError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        sys.exit(130)
