"""Storing what a connector received, through an outage of its own storage.

When the outbox cannot write (a full disk, a file it cannot open), a connector must neither
acknowledge nor drop what it holds: it tries the same batch again, with growing delays, until the
outbox takes it, while its source waits (MQTT messages stay unacknowledged at the broker; an
OPC UA connector's bounded buffer fills, see :class:`~smkit.connectors.common.health.SourceHealth`
``dropped``). The outage is logged once when it starts and once when it ends, and shown in the
source's health meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from smkit.connectors.common.health import SourceHealth
from smkit.core.backoff import Backoff
from smkit.errors import SmkitError

log = logging.getLogger("smkit.connectors")
Step = Callable[[], Awaitable[None]]


class Storing:
    """A connector's way to store a batch: every step done, in order, however long it takes."""

    def __init__(self, health: SourceHealth, backoff: Backoff | None = None) -> None:
        self.health = health
        self.backoff = backoff or Backoff(initial_s=0.2, max_s=5.0)
        self._failing_since: float | None = None

    async def until_stored(self, *steps: Step) -> None:
        """Run each step (a ``put`` into the outbox, say) until it succeeds, then the next; a
        step that failed is tried again, one that succeeded is not repeated."""
        for step in steps:
            while True:
                try:
                    await step()
                    break
                except SmkitError as error:
                    self._failed(error)
                    await asyncio.sleep(self.backoff.next_delay())
        self._stored()

    def _failed(self, error: SmkitError) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            log.error("source %s: what it sends cannot be stored (%s); holding it, "
                      "unacknowledged, and trying again until it can", self.health.source,
                      error)  # fmt: skip
        self.health.storage_error = str(error)

    def _stored(self) -> None:
        if self._failing_since is not None:
            log.warning("source %s: storing again after %.0f s", self.health.source,
                        time.monotonic() - self._failing_since)  # fmt: skip
            self._failing_since = None
            self.backoff.failures = 0
        self.health.storage_error = None
