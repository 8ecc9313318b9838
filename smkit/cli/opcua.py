"""``smkit opcua browse|scaffold``: from an endpoint to a plant.yaml machine block in minutes."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from smkit.errors import ConfigError, SmkitError

app = typer.Typer(help="Look at an OPC UA server and scaffold plant.yaml from it.",
                  no_args_is_help=True)  # fmt: skip

EndpointArg = Annotated[str, typer.Argument(help="The server, e.g. opc.tcp://10.0.0.5:4840.")]
DepthOpt = Annotated[int, typer.Option(help="How many levels below the start node.")]
NodeOpt = Annotated[
    str | None,
    typer.Option("--node", help="Start here (a NodeId, nsu=… or /browse/path) instead of Objects."),
]
SecurityOpt = Annotated[
    str | None,
    typer.Option(help="Policy and mode, e.g. Basic256Sha256,SignAndEncrypt (default: none)."),
]
UserOpt = Annotated[str | None, typer.Option(help="Log in as this user.")]
PasswordEnvOpt = Annotated[
    str | None, typer.Option(help="Environment variable holding the password.")
]


@app.command("browse")
def browse_command(  # noqa: PLR0917 - typer maps each parameter to an option
    endpoint: EndpointArg,
    depth: DepthOpt = 4,
    node: NodeOpt = None,
    security: SecurityOpt = None,
    username: UserOpt = None,
    password_env: PasswordEnvOpt = None,
) -> None:
    """Print the address space: browse names, NodeIds (nsu= form), types, units, values."""
    from smkit.connectors.opcua.browse import render  # noqa: PLC0415 - asyncua only when used

    login = _Login(security, username, password_env)
    entries = asyncio.run(_entries(endpoint, depth, node, login))
    typer.echo(render(entries))


@app.command("scaffold")
def scaffold_command(  # noqa: PLR0917 - typer maps each parameter to an option
    endpoint: EndpointArg,
    node: Annotated[str, typer.Option("--node", help="The machine's object node.")],
    machine: Annotated[str, typer.Option(help="The machine id to write.")],
    source: Annotated[str, typer.Option(help="The source id the machine is read from.")] = "opcua",
    security: SecurityOpt = None,
    username: UserOpt = None,
    password_env: PasswordEnvOpt = None,
) -> None:
    """Write a plant.yaml machine block with a signal for each variable of a machine node."""
    from smkit.connectors.opcua.browse import scaffold  # noqa: PLC0415 - see browse

    entries = asyncio.run(_entries(endpoint, 1, node, _Login(security, username, password_env)))
    if not any(e.node_class == "Variable" and e.depth == 0 for e in entries):
        raise ConfigError(
            f"--node {node}: no variables directly under it; `smkit opcua browse {endpoint}` "
            "shows which node holds the machine's variables"
        )
    typer.echo(scaffold(machine, source, entries))


async def _must_exist(node: Any) -> None:
    """Read the node's browse name: a NodeId can be well formed and name nothing."""
    from asyncua import ua  # noqa: PLC0415 - see browse

    from smkit.connectors.opcua.resolve import Unresolved  # noqa: PLC0415
    from smkit.connectors.opcua.session import status_name  # noqa: PLC0415

    try:
        await node.read_browse_name()
    except ua.UaStatusCodeError as error:
        if status_name(error.code) in ("BadNodeIdUnknown", "BadNodeIdInvalid"):
            raise Unresolved(f"the server has no node {node.nodeid.to_string()}") from None
        raise


@dataclass(frozen=True)
class _Login:
    security: str | None
    username: str | None
    password_env: str | None

    def source(self, endpoint: str) -> dict[str, Any]:
        """The fields of a source block for this endpoint and login."""
        policy, mode = ("None", "None")
        if self.security:
            policy, mode = [*self.security.split(",", 1), "SignAndEncrypt"][:2]
        return {"kind": "opcua", "id": "browse", "endpoint": endpoint, "security_policy": policy,
                "security_mode": mode, "username": self.username,
                "password_env": self.password_env}  # fmt: skip


async def _entries(endpoint: str, depth: int, node: str | None, login: _Login) -> list[Any]:
    from asyncua import ua  # noqa: PLC0415 - see browse

    from smkit.connectors.opcua.browse import browse  # noqa: PLC0415
    from smkit.connectors.opcua.resolve import Unresolved, resolve  # noqa: PLC0415
    from smkit.connectors.opcua.session import explain, open_client  # noqa: PLC0415
    from smkit.plant.opcua import OpcUaSource  # noqa: PLC0415
    from smkit.protocols.opcua_address import parse_address  # noqa: PLC0415

    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    try:
        source = OpcUaSource.model_validate(login.source(endpoint))
        start = parse_address(node) if node else None
    except ValueError as error:
        raise ConfigError(f"{endpoint}: {error}") from None
    env = login.password_env
    password = os.environ.get(env) if env else None
    if env and password is None:
        raise ConfigError(f"--password-env: environment variable {env} is not set")
    client = await open_client(source, password)
    try:
        await asyncio.wait_for(client.connect(), source.connect_timeout)
    except (OSError, TimeoutError, ConnectionError, ua.UaError) as error:
        raise SmkitError(explain(error, source)) from None
    try:
        root = client.nodes.objects
        if start is not None:
            namespaces = await client.get_namespace_array()
            try:
                root = client.get_node(await resolve(client, start, namespaces))
                await _must_exist(root)
            except Unresolved as error:
                raise ConfigError(f"--node {node}: {error}") from None
        return await browse(client, root, depth)
    finally:
        await client.disconnect()
