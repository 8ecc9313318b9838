"""The ``kind: file`` source block of plant.yaml: a folder of CSV files that a machine, an old
SCADA or a spreadsheet exported (the file connector in smkit/connectors/file/ reads it).

Two layouts cover what such exports look like. **wide**: a time column, then one column per
signal (the signal's ``address``, or its name, is the column header). **long**: a time column,
a tag column and a value column, one row per value (the signal's address is the tag). The
machine a row belongs to comes from ``{machine}`` in ``pattern`` (one file or folder per
machine), from a machine column, or, when the source feeds one machine only, is that machine.

The defaults read a CSV as Excel writes it in Vietnam and most of Europe as well as the plain
kind: a byte-order mark is skipped, the delimiter is found from the header line, times are ISO
8601 or ``dd/mm/yyyy HH:MM[:SS]`` in the site's time zone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from smkit.plant.base import ConfigModel, DurationOrZeroS, Identifier, ZoneName
from smkit.plant.storage import resolve_path

MACHINE_PLACEHOLDER = "{machine}"
EPOCH_FORMATS = ("epoch_s", "epoch_ms", "epoch_us", "epoch_ns")
AUTO_TIME = "auto"
"""ISO 8601, else day first (``dd/mm/yyyy`` or ``dd-mm-yyyy``, with or without seconds)."""


class FileColumns(ConfigModel):
    """Which column holds what. ``tag`` and ``value`` are for the long layout only."""

    time: str = "time"
    machine: str | None = None
    tag: str | None = None
    value: str | None = None


class FileSource(ConfigModel):
    """A folder of exported files, imported once or watched for new and growing files.

    ``watch: 0`` imports what is there when the collector starts; a duration looks again that
    often, picking up new files and rows appended to the ones already read.
    """

    kind: Literal["file"]
    id: Identifier
    path: Path
    pattern: str = "*.csv"
    layout: Literal["wide", "long"] = "wide"
    columns: FileColumns = FileColumns()
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    decimal: Literal[".", ","] = "."
    encoding: str = "utf-8-sig"
    time_format: str = AUTO_TIME
    timezone: ZoneName | None = None
    watch: DurationOrZeroS = 0.0
    batch_rows: int = Field(default=5000, ge=1)

    _path = field_validator("path")(resolve_path)

    @field_validator("pattern")
    @classmethod
    def _relative_pattern(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"must be a pattern inside the folder such as '*.csv', got {value!r}")
        if value.count(MACHINE_PLACEHOLDER) > 1 or re.search(r"\{(?!machine\})", value):
            raise ValueError(f"the only placeholder allowed is {{machine}}, once; got {value!r}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            "".encode(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r} (e.g. utf-8-sig, cp1258)") from None
        return value

    @model_validator(mode="after")
    def _layout_needs(self) -> Self:
        columns = self.columns
        if self.layout == "long" and (columns.tag is None or columns.value is None):
            raise ValueError("layout long needs columns: {tag: ..., value: ...}")
        if self.layout == "wide" and (columns.tag is not None or columns.value is not None):
            raise ValueError("columns tag and value are for layout long; wide has one per signal")
        if self.decimal == "," and self.delimiter == ",":
            raise ValueError("decimal ',' needs another delimiter (';' is what Excel uses then)")
        if MACHINE_PLACEHOLDER in self.pattern and columns.machine is not None:
            raise ValueError(
                "the machine comes from {machine} in pattern or from a column, not both"
            )
        return self

    @property
    def machine_from_path(self) -> bool:
        """Whether each file's path names its machine."""
        return MACHINE_PLACEHOLDER in self.pattern


def file_source_problems(source: FileSource, machine_ids: list[str]) -> list[str]:
    """What stops the machines bound to ``source`` from being told apart in its files."""
    if source.machine_from_path or source.columns.machine is not None or len(machine_ids) <= 1:
        return []
    return [
        f"{len(machine_ids)} machines read from this file source: say which rows are whose "
        "with {machine} in pattern or with columns: {machine: ...}"
    ]
