"""Move samples from the outbox into the historian, and keep trying until they are there.

Failures are handled by their class (see :mod:`smkit.errors`):

* :class:`HistorianUnavailable`: nothing is lost; wait with exponential backoff and jitter
  (at least the server's Retry-After), then send the same batch again;
* :class:`PayloadTooLarge`: split the batch in halves and send each;
* :class:`WriteRejected`: bisect the batch to find the refused samples, deliver the others, and
  keep the refused ones as dead letters with the server's reason.

Replays are harmless because historian writes are idempotent. The historian going down is
logged once, and its recovery once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from smkit.core.backoff import Backoff
from smkit.core.sample import Sample
from smkit.errors import HistorianUnavailable, OutboxError, PayloadTooLarge, WriteRejected
from smkit.historian.outbox import Outbox, PendingBatch
from smkit.historian.protocol import SampleWriter

log = logging.getLogger(__name__)


@dataclass
class ForwarderHealth:
    """What the forwarder knows about the historian right now."""

    historian_up: bool = True
    last_error: str = ""
    last_delivery_ns: int | None = None
    delivered: int = 0
    dead_lettered: int = 0
    retries: int = 0
    newest_ns: dict[str, int] = field(default_factory=dict)
    """Per machine, the time of its newest sample delivered."""


class Forwarder:
    """Drains an outbox into a historian (see the module docstring)."""

    def __init__(
        self,
        outbox: Outbox,
        historian: SampleWriter,
        *,
        batch_samples: int = 5000,
        backoff: Backoff | None = None,
        idle_poll_s: float = 1.0,
        in_flight: int = 3,
    ) -> None:
        self.outbox = outbox
        self.historian = historian
        self.batch_samples = batch_samples
        self.backoff = backoff or Backoff()
        self.idle_poll_s = idle_poll_s
        self.in_flight = in_flight
        self.health = ForwarderHealth()
        self._outbox_error: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; batches in hand are finished or given back first.

        Up to ``in_flight`` batches are delivered at once, so that the historian works on one
        while this process reads and formats the next. Order between them does not matter:
        writes are idempotent and each sample has its own identity. While the historian is down,
        one batch at a time probes it, each after the backoff's delay.
        """
        running: set[asyncio.Task[bool]] = set()
        try:
            while not stop.is_set():
                limit = self.in_flight if self.health.historian_up else 1
                batch = await self.outbox.peek(self.batch_samples) if len(running) < limit else None
                if batch is not None:
                    running.add(asyncio.create_task(self._settle(batch, stop)))
                elif running:
                    _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                else:
                    await self.outbox.wait_for_data(self.idle_poll_s)
        finally:
            if running:
                await asyncio.wait(running)

    async def drain(self) -> None:
        """Deliver everything queued now, retrying as ``run`` does, until the outbox is empty."""
        never = asyncio.Event()
        while (batch := await self.outbox.peek(self.batch_samples)) is not None:
            await self._settle(batch, never)

    async def _settle(self, batch: PendingBatch, stop: asyncio.Event) -> bool:
        """Deliver and settle one batch; if the historian is unavailable, back off, return False."""
        try:
            dead = await self._deliver(batch.samples)
        except HistorianUnavailable as exc:
            await self.outbox.release(batch)
            await _sleep_unless(stop, self._went_down(exc))
            return False
        try:
            await self.outbox.settle(batch, dead)
        except OutboxError as exc:  # a full disk: delivered, but not yet forgotten
            await self.outbox.release(batch)  # delivered again later: writes are idempotent
            await _sleep_unless(stop, self._outbox_failing(exc))
            return False
        if self._outbox_error is not None:
            log.warning("Outbox writable again")
            self._outbox_error = None
        self._delivered(len(batch.samples), len(dead))
        newest = self.health.newest_ns
        for machine, ts in zip(batch.samples.machines, batch.samples.timestamps, strict=True):
            if ts > newest.get(machine, ts - 1):
                newest[machine] = ts
        return True

    async def _deliver(self, samples: Sequence[Sample]) -> list[tuple[Sample, str]]:
        """Write samples; return the refused ones with reasons. Unavailability propagates."""
        try:
            await self.historian.write_samples(samples)
            return []
        except (PayloadTooLarge, WriteRejected) as exc:
            if len(samples) == 1:
                return [(samples[0], str(exc))]
        middle = len(samples) // 2
        return await self._deliver(samples[:middle]) + await self._deliver(samples[middle:])

    def _went_down(self, error: HistorianUnavailable) -> float:
        if self.health.historian_up:
            log.warning("Historian unavailable, keeping data in the outbox: %s", error)
        self.health.historian_up = False
        self.health.last_error = str(error)
        self.health.retries += 1
        return self.backoff.next_delay(error.retry_after_s)

    def _outbox_failing(self, error: OutboxError) -> float:
        if self._outbox_error is None:
            log.error("Outbox cannot be written, delivered batches are kept until it can: %s",
                      error)  # fmt: skip
        self._outbox_error = str(error)
        return self.backoff.next_delay()

    def _delivered(self, count: int, dead: int) -> None:
        if not self.health.historian_up:
            log.warning("Historian available again after %d retries", self.health.retries)
        self.health.historian_up = True
        self.health.last_delivery_ns = time.time_ns()
        self.health.delivered += count - dead
        self.health.dead_lettered += dead
        self.backoff.reset()
        if dead:
            log.warning("Historian refused %d of %d samples; kept as dead letters", dead, count)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
