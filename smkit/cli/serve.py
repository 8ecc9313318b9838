"""``smkit serve`` (the HTTP API under uvicorn) and ``smkit api-key`` (create, list, revoke)."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Annotated

import typer

from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.cli.common import PlantOption, local_time, table
from smkit.errors import ConfigError
from smkit.plant import load_plant

log = logging.getLogger("smkit.api")
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", help="TCP port to listen on.")]


def serve(
    plant_file: PlantOption = Path("plant.yaml"),
    host: HostOption = "127.0.0.1",
    port: PortOption = 8080,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) and the pages (/board) until interrupted."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server and the app

    from smkit.web.site import create_site  # noqa: PLC0415

    if not 0 < port < 65536:
        raise ConfigError(f"--port {port}: allowed are 1 to 65535")
    plant = load_plant(plant_file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not _loopback(host):
        log.warning("listening on %s without TLS: put a TLS proxy in front of smkit before "
                    "exposing it on a plant network", host)  # fmt: skip
    uvicorn.run(create_site(plant, plant_file), host=host, port=port, log_level="info",
                access_log=False, server_header=False)  # fmt: skip


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(Role)}.")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help=("Limit an operator's writes to this line (repeatable).")),
    ] = None,
    plant_file: PlantOption = Path("plant.yaml"),
) -> None:
    """Create a key and print it once: only its hash is kept."""
    if role not in tuple(Role):
        raise ConfigError(f"--role {role!r}: allowed are {', '.join(Role)}")
    plant = load_plant(plant_file)
    lines = {place.line for place in plant.places().values()}
    for wanted in line or []:
        if wanted not in lines:
            raise ConfigError(
                f"--line {wanted!r}: no such line (known: {', '.join(sorted(lines))})"
            )
    key, text = KeyStore(plant.api.store).create(name, Role(role), line or [])
    typer.echo(f"created key {key.id} ({key.role.value}) for {key.name}; it is shown only now:")
    typer.echo(text)


@keys_app.command("list")
def list_keys(plant_file: PlantOption = Path("plant.yaml")) -> None:
    """Every key: id, name, role, lines, created, revoked (never the key itself)."""
    plant = load_plant(plant_file)
    zone = plant.site.timezone
    rows = [[k.id, k.name, k.role.value, ", ".join(k.lines) or "all",
             local_time(k.created_ns, zone), local_time(k.revoked_ns, zone) if k.revoked_ns else ""]
            for k in KeyStore(plant.api.store).listed()]  # fmt: skip
    typer.echo(table(["id", "name", "role", "lines", "created", "revoked"], rows, "no API keys"))


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `smkit api-key list`).")],
    plant_file: PlantOption = Path("plant.yaml"),
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    key = KeyStore(load_plant(plant_file).api.store).revoke(key_id)
    typer.echo(f"revoked key {key.id} ({key.role.value}) of {key.name}")
