"""Where a signal lives on an OPC UA server, and finding it again on every connect.

Three ways to write a signal's ``address`` in plant.yaml:

* a NodeId: ``ns=3;s=Line1.Filler.State``, ``i=2258``, ``ns=2;g=…``, ``ns=2;b=…``;
* a NodeId with its namespace URI: ``nsu=urn:acme:plc;s=Filler.State`` (recommended: servers may
  renumber namespaces when they restart, the URI stays);
* a browse path from the Objects folder: ``/Objects/Line1/Filler/State``, each segment a browse
  name, optionally ``<ns index>:Name``; a segment without an index matches any namespace.

Namespace URIs and browse paths are resolved again on every connect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from asyncua import ua

_NODE_ID = re.compile(r"^(ns=\d+;)?[sigb]=.+$", re.S)
_NSU = re.compile(r"^nsu=([^;]+);([sigb]=.+)$", re.S)
_SEGMENT = re.compile(r"^(?:(\d+):)?(.+)$")


@dataclass(frozen=True)
class Address:
    """A parsed signal address."""

    text: str
    kind: str  # "nodeid", "nsu" or "path"
    namespace_uri: str | None = None
    identifier: str | None = None
    segments: tuple[tuple[int | None, str], ...] = ()


def parse_address(text: str) -> Address:
    """Parse an address; ``ValueError`` says what is allowed."""
    text = text.strip()
    if match := _NSU.match(text):
        _check_node_id(f"ns=1;{match.group(2)}", text)
        return Address(text, "nsu", namespace_uri=match.group(1), identifier=match.group(2))
    if _NODE_ID.match(text):
        _check_node_id(text, text)
        return Address(text, "nodeid")
    if text.startswith("/") and len(text) > 1:
        segments = []
        for part in text.strip("/").split("/"):
            match = _SEGMENT.match(part)
            if not part or match is None:
                raise ValueError(f"empty segment in browse path {text!r}")
            index = int(match.group(1)) if match.group(1) is not None else None
            segments.append((index, match.group(2)))
        return Address(text, "path", segments=tuple(segments))
    raise ValueError(
        f"not an OPC UA address: {text!r} (write a NodeId like 'ns=2;s=Machine.State' or "
        "'nsu=urn:vendor:plc;s=Machine.State', or a browse path like "
        "'/Objects/Line1/Machine/State')"
    )


def _check_node_id(node_id: str, text: str) -> None:
    try:
        ua.NodeId.from_string(node_id)
    except (ValueError, ua.UaStringParsingError, TypeError):
        raise ValueError(
            f"malformed NodeId {text!r} (ns= takes a namespace index, i= an integer, "
            "g= a GUID, b= base64, s= any text)"
        ) from None


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
