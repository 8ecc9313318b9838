"""``smkit mqtt sniff``: see what a broker carries before writing the subscriptions."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from smkit.errors import ConfigError

app = typer.Typer(help="Look at what an MQTT broker carries.", no_args_is_help=True)


@app.command("sniff")
def sniff_command(  # noqa: PLR0917 - typer maps each parameter to an option
    url: Annotated[str, typer.Argument(help="The broker, e.g. mqtt://10.0.0.9:1883.")],
    topic_filter: Annotated[
        str, typer.Argument(help="What to subscribe to, e.g. 'plant/#'.")
    ] = "#",
    count: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
    seconds: Annotated[float | None, typer.Option(help="Stop after this long.")] = None,
    username: Annotated[str | None, typer.Option(help="Log in as this user.")] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the password.")
    ] = None,
) -> None:
    """Print each message: topic, QoS, and the payload decoded (Sparkplug B, JSON, text)."""
    from smkit.connectors.mqtt.sniff import sniff  # noqa: PLC0415 - paho only when used

    if password_env is not None and password_env not in os.environ:
        raise ConfigError(f"--password-env: environment variable {password_env} is not set")
    password = os.environ.get(password_env) if password_env else None
    credentials = (username, password) if username is not None else None
    seen = asyncio.run(
        sniff(url, topic_filter, typer.echo, count=count, seconds=seconds, credentials=credentials)
    )
    typer.echo(f"{seen} message(s)", err=True)
