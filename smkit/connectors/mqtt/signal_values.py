"""What a message's readings are stored as: each value cast to the type plant.yaml declares for
its signal, gathered as columns; a value that cannot be cast, or a signal the machine does not
have, is a problem (the message is dead-lettered with it, the rest is stored)."""

from __future__ import annotations

from collections.abc import Mapping

from smkit.connectors.common.cast import cast
from smkit.connectors.mqtt.parsers import Reading
from smkit.connectors.mqtt.sparkplug_values import PlainValues
from smkit.core.batch import BatchBuilder
from smkit.core.sample import Quality, Value

_PYTHON_TYPES: dict[str, type] = {"float": float, "int": int, "bool": bool, "str": str}
"""A value already of its signal's Python type is what :func:`cast` would return."""


class SignalValues:
    """The declared type of every signal of a source's machines, and values cast to it."""

    def __init__(self, types: Mapping[tuple[str, str], str]) -> None:
        self.types: dict[str, dict[str, str]] = {}
        """Signal name -> declared type, per machine."""
        self._python_types: dict[str, dict[str, type]] = {}
        """The Python type of each signal's values, per machine (``str`` for text)."""
        for (machine, signal), kind in types.items():
            self.types.setdefault(machine, {})[signal] = kind
            self._python_types.setdefault(machine, {})[signal] = _PYTHON_TYPES[kind]

    def signals(self) -> dict[str, set[str]]:
        """The signal names of each machine."""
        return {machine: set(kinds) for machine, kinds in self.types.items()}

    def add_reading(
        self, machine: str, reading: Reading, into: BatchBuilder, problems: list[str]
    ) -> None:
        """A reading of a machine, cast, into ``into``; if it cannot be, why into ``problems``."""
        signal, ts, value, quality = reading
        self._add(machine, signal, ts, value, quality, into, problems)

    def add_plain(
        self, machine: str, plain: PlainValues, into: BatchBuilder, problems: list[str]
    ) -> None:
        """Plain Sparkplug values of one machine's signals (None: null), as
        :meth:`add_reading` would add them; at once when each is already of its type."""
        names, stamps, values = plain
        python_types = self._python_types.get(machine, {})
        if list(map(type, values)) == list(map(python_types.get, names)):
            into.add_values(machine, names, stamps, values, bytes(len(stamps)))
            return
        for name, ts, value in zip(names, stamps, values, strict=True):
            quality = Quality.GOOD if value is not None else Quality.BAD
            self._add(machine, name, ts, value, quality, into, problems)

    def _add(  # noqa: PLR0917 - a reading's fields, where it goes, what went wrong
        self,
        machine: str,
        signal: str,
        ts: int,
        value: Value | bytes,
        quality: Quality,
        into: BatchBuilder,
        problems: list[str],
    ) -> None:
        kind = self.types.get(machine, {}).get(signal)
        if kind is None:
            problems.append(f"machine {machine!r} has no signal {signal!r}")
            return
        try:
            stored = None if value is None else cast(value, kind)
        except ValueError as error:
            problems.append(f"{signal}: {error} (the signal is {kind})")
            return
        into.add(machine, signal, ts, stored, quality)
