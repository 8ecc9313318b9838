"""Finding an address on a connected server: NodeIds as they are, namespace URIs through the
server's namespace array, browse paths by walking from the root. Done again on every connect."""

from __future__ import annotations

from typing import Any

from asyncua import ua

from smkit.protocols.opcua_address import Address


class Unresolved(Exception):
    """An address that names nothing on this server (now); the reason is the message."""


async def resolve(client: Any, address: Address, namespaces: list[str]) -> ua.NodeId:
    """The NodeId an address names on the connected server; :class:`Unresolved` if none."""
    if address.kind == "nodeid":
        return ua.NodeId.from_string(address.text)
    if address.kind == "nsu":
        if address.namespace_uri not in namespaces:
            raise Unresolved(f"the server has no namespace {address.namespace_uri!r}")
        index = namespaces.index(address.namespace_uri)
        return ua.NodeId.from_string(f"ns={index};{address.identifier}")
    return await _walk(client, address)


async def _walk(client: Any, address: Address) -> ua.NodeId:
    node = client.nodes.root
    for index, name in address.segments:
        found = []
        for child in await node.get_children():
            browse_name = await child.read_browse_name()
            if browse_name.Name == name and index in (None, browse_name.NamespaceIndex):
                found.append(child)
        if len(found) != 1:
            where = "nothing" if not found else f"{len(found)} nodes"
            raise Unresolved(f"{where} named {name!r} under {node.nodeid.to_string()}")
        node = found[0]
    return node.nodeid
