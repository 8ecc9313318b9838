"""What a connector is to the collector: a thing that runs until stopped and reports its health.

The collector knows no protocol. For each source of plant.yaml it looks the source's ``kind`` up
in :mod:`smkit.connectors.registry` and calls the factory found there with the source and a
:class:`ConnectorContext`; the factory builds its own signal bindings from the plant. See
``smkit/connectors/README.md`` for the steps a new protocol takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from smkit.connectors.common.health import SourceHealth
from smkit.connectors.common.sink import Sink
from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.plant.model import Plant


class Connector(Protocol):
    """One source, collected into a sink until ``stop`` is set.

    ``run`` never returns early on a source's outage (it retries, reporting it in ``health``), and
    returns once ``stop`` is set and what it holds is in the sink. What it could not read goes to
    the unreadable-message store with the reason; it never stops the flow.
    """

    health: SourceHealth

    async def run(self, stop: asyncio.Event) -> None:
        """Collect until ``stop`` is set."""
        ...


@runtime_checkable
class FiniteConnector(Connector, Protocol):
    """A connector whose source can be read to its end (a folder of exports): ``imported`` is
    set each time it has read everything there was."""

    imported: asyncio.Event


@dataclass(frozen=True)
class ConnectorContext:
    """What the collector gives every connector it builds."""

    plant: Plant
    sink: Sink
    unreadable: UnreadableMessages
    password: str | None = None

    def keep_path(self, source_id: str, suffix: str) -> Path:
        """A file beside the outbox where a connector may keep its own state (e.g. progress)."""
        outbox = self.plant.outbox.path
        return outbox.with_name(f"{outbox.stem}.{source_id}{suffix}")


ConnectorFactory = Callable[[Any, ConnectorContext], Connector]
"""Builds the connector of one source block (the model its ``kind`` selects) in a context."""
