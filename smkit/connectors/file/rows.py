"""The rows of one export as samples, or as the reason a row cannot be read (pure).

In the wide layout an empty cell means the signal has no value at that time (exports that log
changes only leave most cells empty). In the long layout a row names its signal, so an empty
value is a value: the empty text for a text signal (a stop reason cleared), a bad sample (no
value) for any other.

A :class:`RowReader` is made per file from its header line. It knows, for each machine the file
may hold, which column (wide layout) or which tag (long layout) is which signal, and how its
cells are read. Columns and tags that no signal uses are ignored and named once, so a SCADA
export with a hundred columns can feed the five signals the OEE needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from smkit.connectors.common.bindings import Binding
from smkit.connectors.file.cells import CellParser, cell_parser
from smkit.connectors.file.times import TimeParser
from smkit.core.sample import Quality, Sample
from smkit.plant.files import FileSource


class RowError(ValueError):
    """A row that cannot be read; the message says which cell and why."""


@dataclass(frozen=True)
class Target:
    """Where a cell's value goes: a machine's signal, read by its signal's type."""

    machine: str
    signal: str
    parse: CellParser
    is_text: bool


@dataclass
class Ignored:
    """What a file holds that no signal of plant.yaml takes (reported once per file)."""

    columns: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    machines: set[str] = field(default_factory=set)


def targets_of(bindings: Sequence[Binding], decimal: str) -> dict[tuple[str, str], Target]:
    """(machine, address) → its target, for every signal bound to the source."""
    return {
        (b.machine, b.address): Target(
            b.machine, b.signal, cell_parser(b.value_type, decimal), b.value_type == "str"
        )
        for b in bindings
    }


class RowReader:
    """Reads the rows of one file whose header is ``header`` (see the module docstring)."""

    def __init__(
        self,
        source: FileSource,
        header: Sequence[str],
        targets: dict[tuple[str, str], Target],
        parse_time: TimeParser,
        machine: str | None,
    ) -> None:
        self.header = [name.strip() for name in header]
        self.targets = targets
        self.machines = {machine for machine, _ in targets}
        self.parse_time = parse_time
        self.machine = machine
        self.ignored = Ignored()
        self._time = self._column(source.columns.time)
        self._machine = self._optional(source.columns.machine)
        self._tag = self._optional(source.columns.tag)
        self._value = self._optional(source.columns.value)
        self.read: Callable[[Sequence[str]], list[Sample]] = (
            self._long if source.layout == "long" else self._wide
        )
        self._keyed = {self._time, self._machine}

    def _column(self, name: str) -> int:
        if name not in self.header:
            shown = ", ".join(repr(h) for h in self.header[:12])
            raise RowError(f"no column {name!r} in the header (it has {shown})")
        return self.header.index(name)

    def _optional(self, name: str | None) -> int | None:
        return None if name is None else self._column(name)

    def _row_machine(self, row: Sequence[str]) -> str:
        if self._machine is None:
            assert self.machine is not None  # a plant check makes sure one of the two is known
            return self.machine
        return _cell(row, self._machine, self.header).strip()

    def _time_of(self, row: Sequence[str]) -> int:
        try:
            return self.parse_time(_cell(row, self._time, self.header))
        except ValueError as error:
            raise RowError(f"column {self.header[self._time]!r}: {error}") from None

    def _wide(self, row: Sequence[str]) -> list[Sample]:
        if len(row) > len(self.header):
            raise RowError(f"{len(row)} cells, but the header has {len(self.header)} columns")
        ts, machine = self._time_of(row), self._row_machine(row)
        samples = []
        for index, text in enumerate(row):
            if index in self._keyed or not text.strip():
                continue
            target = self.targets.get((machine, self.header[index]))
            if target is None:
                self._ignore(machine, column=self.header[index])
                continue
            samples.append(self._sample(target, ts, text, self.header[index]))
        return samples

    def _long(self, row: Sequence[str]) -> list[Sample]:
        assert self._tag is not None and self._value is not None  # the model requires both
        ts, machine = self._time_of(row), self._row_machine(row)
        tag = _cell(row, self._tag, self.header).strip()
        target = self.targets.get((machine, tag))
        if target is None:
            self._ignore(machine, tag=tag)
            return []
        text = _cell(row, self._value, self.header)
        if text.strip() or target.is_text:
            return [self._sample(target, ts, text, tag)]
        return [Sample(target.machine, target.signal, ts, None, Quality.BAD)]

    def _sample(self, target: Target, ts: int, text: str, where: str) -> Sample:
        try:
            return Sample(target.machine, target.signal, ts, target.parse(text))
        except ValueError as error:
            raise RowError(f"{where!r}: {error}") from None

    def _ignore(self, machine: str, *, column: str = "", tag: str = "") -> None:
        if machine not in self.machines:
            self.ignored.machines.add(machine)
        elif column:
            self.ignored.columns.add(column)
        else:
            self.ignored.tags.add(tag)


def _cell(row: Sequence[str], index: int, header: Sequence[str]) -> str:
    if index >= len(row):
        raise RowError(f"{len(row)} cells: no {header[index]!r}")
    return row[index]
