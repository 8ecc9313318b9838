"""The address space the simulated OPC UA server exposes, worked out from plant.yaml (no I/O).

Folders follow the plant: Objects / site / area / line / machine, and each machine holds one
variable per signal. A signal whose address is a NodeId written with its namespace URI
(``nsu=<uri>;s=...``, as plant.yaml should write them) is served under exactly that NodeId, so
collecting with the same plant.yaml finds it; other signals get ``s=<machine>.<signal>`` in the
scenario's own namespace. Data types follow :mod:`.wiretype`; units are UNECE codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from asyncua import ua

from smkit.plant.machine import Signal
from smkit.plant.model import Plant
from smkit.simulators.wiretype import wire_type

# UNECE Recommendation 20 common codes for the units plant files use (OPC UA Part 8, 5.6.3).
UNECE_CODES = {
    "degC": "CEL", "°C": "CEL", "K": "KEL", "bar": "BAR", "Pa": "PAL", "kPa": "KPA",
    "MPa": "MPA", "kW": "KWT", "W": "WTT", "kWh": "KWH", "A": "AMP", "V": "VLT", "Hz": "HTZ",
    "s": "SEC", "ms": "C26", "min": "MIN", "h": "HUR", "rpm": "RPM", "mm": "MMT", "m": "MTR",
    "kg": "KGM", "g": "GRM", "l": "LTR", "%": "P1", "bpm": "C62",
}  # fmt: skip
UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"


@dataclass(frozen=True)
class VariableSpec:
    """One served variable: the machine signal it carries and how it looks on the wire."""

    machine: str
    signal: str
    namespace_uri: str
    identifier: str
    variant_type: ua.VariantType
    unit: str | None

    def node_id(self, namespaces: dict[str, int]) -> ua.NodeId:
        """The NodeId, with the namespace index the server gave the URI."""
        return ua.NodeId.from_string(f"ns={namespaces[self.namespace_uri]};{self.identifier}")


@dataclass(frozen=True)
class FolderSpec:
    """A folder (site, area, line) or machine object, with its path of ids from the site."""

    path: tuple[str, ...]
    display_name: str
    is_machine: bool


def namespace_of(address: str | None) -> tuple[str, str] | None:
    """``(uri, identifier)`` of an address written ``nsu=<uri>;<s|i|g|b>=...``, else None."""
    if address is None or not address.startswith("nsu="):
        return None
    uri, _, identifier = address[4:].partition(";")
    if not uri or identifier[:2] not in ("s=", "i=", "g=", "b="):
        return None
    return uri, identifier


_VARIANT_TYPES = {
    "bool": ua.VariantType.Boolean, "str": ua.VariantType.String,
    "double": ua.VariantType.Double, "uint16": ua.VariantType.UInt16,
    "uint32": ua.VariantType.UInt32, "uint64": ua.VariantType.UInt64,
    "int32": ua.VariantType.Int32,
}  # fmt: skip


def variant_type(signal: Signal) -> ua.VariantType:
    """The OPC UA type a real controller would use for the signal."""
    return _VARIANT_TYPES[wire_type(signal)]


def engineering_units(unit: str) -> ua.EUInformation:
    """The EUInformation of a unit: its UNECE code when known, else UnitId -1 and the text."""
    code = UNECE_CODES.get(unit)
    unit_id = -1 if code is None else sum(ord(c) << (8 * i) for i, c in enumerate(reversed(code)))
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE,
        UnitId=unit_id,
        DisplayName=ua.LocalizedText(unit),
        Description=ua.LocalizedText(unit),
    )


def default_namespace(scenario: str) -> str:
    """The namespace URI of a scenario's generated NodeIds and folders."""
    return f"urn:smkit:sim:{scenario}"


def address_space(plant: Plant, scenario: str) -> tuple[list[FolderSpec], list[VariableSpec]]:
    """Every folder (parents first) and variable the server shows for a plant."""
    own = default_namespace(scenario)
    site = plant.site
    folders = [FolderSpec((site.id,), site.name or site.id, False)]
    variables: list[VariableSpec] = []
    for area in site.areas:
        folders.append(FolderSpec((site.id, area.id), area.name or area.id, False))
        for line in area.lines:
            folders.append(FolderSpec((site.id, area.id, line.id), line.name or line.id, False))
            for machine in line.machines:
                path = (site.id, area.id, line.id, machine.id)
                folders.append(FolderSpec(path, machine.name or machine.id, True))
                place = {"site": site.id, "area": area.id, "line": line.id, "machine": machine.id}
                for signal in machine.signals:
                    uri, identifier = namespace_of(signal.address_for(place)) or (
                        own,
                        f"s={machine.id}.{signal.name}",
                    )
                    variables.append(
                        VariableSpec(
                            machine.id,
                            signal.name,
                            uri,
                            identifier,
                            variant_type(signal),
                            signal.unit,
                        )
                    )
    return folders, variables
