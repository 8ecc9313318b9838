"""Where a signal lives on an OPC UA server, and finding it again on every connect.

Three ways to write a signal's ``address`` in plant.yaml:

* a NodeId: ``ns=3;s=Line1.Filler.State``, ``i=2258``, ``ns=2;g=…``, ``ns=2;b=…``;
* a NodeId with its namespace URI: ``nsu=urn:acme:plc;s=Filler.State`` (recommended: servers may
  renumber namespaces when they restart, the URI stays);
* a browse path from the Objects folder: ``/Objects/Line1/Filler/State``, each segment a browse
  name, optionally ``<ns index>:Name``; a segment without an index matches any namespace.

Parsing needs no server (``smkit validate`` checks addresses); :mod:`.resolve` finds them on one,
again on every connect.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass

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
        _check_node_id(match.group(2), text)
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
    """The identifier must suit its type: i= an integer, g= a GUID, b= base64, s= any text."""
    identifier = node_id.split(";", 1)[1] if node_id.startswith("ns=") else node_id
    kind, value = identifier[0], identifier[2:]
    try:
        if kind == "i":
            int(value)
        elif kind == "g":
            uuid.UUID(value)
        elif kind == "b":
            base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError(
            f"malformed NodeId {text!r} (ns= takes a namespace index, i= an integer, "
            "g= a GUID, b= base64, s= any text)"
        ) from None
