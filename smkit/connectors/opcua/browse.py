"""Browse an OPC UA server's address space, and turn a machine's variables into plant.yaml.

Addresses are written ``nsu=<namespace URI>;...`` so they survive a server renumbering its
namespaces; data types map onto smkit's signal types; EngineeringUnits become units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from asyncua import Client, ua

_TYPES = {
    "Boolean": "bool", "String": "str", "LocalizedText": "str", "Float": "float",
    "Double": "float", "SByte": "int", "Byte": "int", "Int16": "int", "UInt16": "int",
    "Int32": "int", "UInt32": "int", "Int64": "int", "UInt64": "int",
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One node of the tree."""

    depth: int
    browse_name: str
    address: str
    node_class: str
    data_type: str | None = None
    unit: str | None = None
    value: str | None = None


async def browse(client: Client, root: Any, depth: int) -> list[Entry]:
    """Every node under ``root`` down to ``depth`` levels, parents first."""
    namespaces = await client.get_namespace_array()
    out: list[Entry] = []
    await _visit(root, 0, depth, namespaces, out)
    return out


async def _visit(
    node: Any, level: int, depth: int, namespaces: list[str], out: list[Entry]
) -> None:
    for child in await node.get_children():
        entry = await _entry(child, level, namespaces)
        out.append(entry)
        if level + 1 < depth and entry.node_class in ("Object", "Variable"):
            await _visit(child, level + 1, depth, namespaces, out)


async def _entry(node: Any, level: int, namespaces: list[str]) -> Entry:
    name = (await node.read_browse_name()).Name
    node_class = (await node.read_node_class()).name
    address = with_uri(node.nodeid, namespaces)
    if node_class != "Variable":
        return Entry(level, name, address, node_class)
    try:
        data_type = (await node.read_data_type_as_variant_type()).name
    except (ua.UaError, ValueError):
        data_type = None
    data_value = await node.read_data_value(raise_on_bad_status=False)
    shown = describe(data_value.Value.Value) if data_value.StatusCode.is_good() else "(bad)"
    return Entry(level, name, address, node_class, data_type, await _unit(node), shown)


async def _unit(node: Any) -> str | None:
    try:
        units = await (await node.get_child("0:EngineeringUnits")).read_value()
    except ua.UaError:
        return None
    return str(units.DisplayName.Text) if units is not None else None


def with_uri(node_id: ua.NodeId, namespaces: list[str]) -> str:
    """``nsu=<uri>;s=...`` for a NodeId outside namespace 0; standard nodes as ``i=...``."""
    text = str(node_id.to_string())
    if node_id.NamespaceIndex == 0:
        return text
    identifier = text.split(";", 1)[1]
    return f"nsu={namespaces[node_id.NamespaceIndex]};{identifier}"


def render(entries: list[Entry]) -> str:
    """The tree as indented text: name, address, then type, unit and value for variables."""
    lines = []
    for entry in entries:
        detail = ""
        if entry.node_class == "Variable":
            unit = f" [{entry.unit}]" if entry.unit else ""
            detail = f"  {entry.data_type or '?'}{unit} = {entry.value}"
        lines.append(f"{'  ' * entry.depth}{entry.browse_name}  {entry.address}{detail}")
    return "\n".join(lines)


def scaffold(machine_id: str, source_id: str, entries: list[Entry]) -> str:
    """A plant.yaml machine block with one signal per variable directly under the machine."""
    signals = []
    for entry in entries:
        if entry.node_class != "Variable" or entry.depth != 0:
            continue
        signal: dict[str, Any] = {"name": _signal_name(entry.browse_name)}
        kind = _TYPES.get(entry.data_type or "")
        if kind is not None and kind != "float":
            signal["type"] = kind
        if entry.unit:
            signal["unit"] = entry.unit
        signal["address"] = entry.address
        signals.append(signal)
    block = {
        "id": machine_id,
        "source": source_id,
        "products": [{"id": "CHANGE-ME", "ideal_cycle_time_s": 60.0}],
        "signals": signals,
    }
    text = str(yaml.safe_dump([block], sort_keys=False, allow_unicode=True, width=100))
    return "# Set each signal's role (state, count_total, ...) and the products.\n" + text


def _signal_name(browse_name: str) -> str:
    out = []
    for index, char in enumerate(browse_name):
        if char.isupper() and index and not browse_name[index - 1].isupper():
            out.append("_")
        out.append(char.lower() if char.isalnum() else "_")
    return "".join(out).strip("_") or "signal"


def describe(value: Any) -> str:
    """A short printable form of a value for logs and the browse tree."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
