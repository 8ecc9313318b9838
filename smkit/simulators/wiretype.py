"""The type a real device would put a signal on the wire as, whatever the protocol.

Booleans, text and floats keep their kind; counters are unsigned and as wide as their rollover
(16 or 32 bits, else 64); other integers (state numbers, reason codes) are 32-bit signed.
"""

from __future__ import annotations

from typing import Literal

from smkit.plant.machine import Signal

WireType = Literal["bool", "str", "double", "uint16", "uint32", "uint64", "int32"]


def wire_type(signal: Signal) -> WireType:
    """The wire type of a signal (see the module docstring)."""
    kind = signal.value_type
    if kind == "bool":
        return "bool"
    if kind == "str":
        return "str"
    if kind == "float":
        return "double"
    if signal.counter is None:
        return "int32"
    bits = signal.counter.rollover_bits
    if bits is not None and bits <= 16:
        return "uint16"
    return "uint32" if bits is not None and bits <= 32 else "uint64"
