"""Which machine signal a source's address carries: what each connector builds from plant.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from smkit.plant.model import Plant


@dataclass(frozen=True)
class Binding:
    """One machine signal, the type it is stored as, and its address in its source."""

    machine: str
    signal: str
    value_type: str
    address: str


def bindings_of(plant: Plant, source_id: str, *, name_if_no_address: bool = False) -> list[Binding]:
    """The signals of every machine read from ``source_id``, with placeholders filled in.

    A signal without an address is left out, or (``name_if_no_address``) found by its name.
    """
    found = []
    for place, machine in plant.machines():
        if machine.source != source_id:
            continue
        fields = {**place.model_dump(), "machine": machine.id}
        for signal in machine.signals:
            address = signal.address_for(fields)
            if address is None and name_if_no_address:
                address = signal.name
            if address is not None:
                found.append(Binding(machine.id, signal.name, signal.value_type, address))
    return found
