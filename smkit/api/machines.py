"""Machines named in a request body: found in the plant, or a 422 naming the field."""

from __future__ import annotations

from smkit.api.query import invalid
from smkit.plant.machine import Machine, SignalRole
from smkit.plant.model import MachinePlace, Plant


def machine_named(
    plant: Plant, machine_id: str, field: str = "machine"
) -> tuple[MachinePlace, Machine]:
    """The machine and its place; a 422 naming ``field`` (in the body) when there is none."""
    for place, machine in plant.machines():
        if machine.id == machine_id:
            return place, machine
    known = ", ".join(m.id for _, m in plant.machines())
    raise invalid(field, f"no machine {machine_id!r} (known: {known})", where="body")


def signal_of(machine: Machine, role: SignalRole, field: str = "machine") -> str:
    """The machine's signal with ``role``; a 422 saying how to add one when it has none."""
    name = next((s.name for s in machine.signals if s.role is role), None)
    if name is None:
        example = f"{{name: {role.value}, role: {role.value}}}"
        message = (f"machine {machine.id!r} has no {role.value} signal; add one to its signals "
                   f"in plant.yaml, for example: - {example}")  # fmt: skip
        raise invalid(field, message, where="body")
    return name
