"""The Sparkplug births a host has taken up, kept in a file beside the outbox across restarts.

DATA messages name their metrics by alias, which only the birth declared. A collector killed
and started again finds the DATA queued for it at the broker (a persistent session) but not the
births before them, which its earlier run acknowledged; without them every such message would
be dead-lettered until the edge node happened to be born again. The births are written when
they change (births and deaths are rare), durably, before the messages that changed them are
acknowledged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from smkit.errors import SmkitError

VERSION = 1
log = logging.getLogger("smkit.mqtt")


class BirthsFile:
    """One source's saved births (:meth:`SparkplugHost.births`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        """The saved births; none if there is no file or it cannot be read (said in the log)."""
        return dict(self._saved().get("nodes", {}))

    def load_marks(self) -> dict[str, Any]:
        """The saved death marks (:meth:`SparkplugHost.marks`); none as :meth:`load`."""
        return dict(self._saved().get("marks", {}))

    def _saved(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            saved = json.loads(self.path.read_text())
            if saved.get("version") != VERSION:
                raise ValueError(f"version {saved.get('version')!r}")
            return {"nodes": dict(saved["nodes"]), "marks": dict(saved.get("marks", {}))}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            log.warning("%s cannot be read (%s); edge nodes are known again from their next "
                        "births", self.path, error)  # fmt: skip
            return {}

    async def save(self, births: dict[str, Any], marks: dict[str, Any] | None = None) -> None:
        """Write ``births`` and ``marks`` durably (replacing the file whole); SmkitError if it
        cannot."""
        temporary = self.path.with_suffix(".tmp")
        try:
            with temporary.open("w") as out:
                json.dump({"version": VERSION, "nodes": births, "marks": marks or {}}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except OSError as error:
            raise SmkitError(f"sparkplug births {self.path}: {error.strerror or error}") from None
