"""Simulated time on the wall clock: serve a run's values when they are due, at any speed-up."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable

from smkit.simulators.signals import SignalValue

MAX = math.inf
"""The speed that serves everything as fast as the outlets take it."""


def parse_speed(text: str) -> float:
    """``60`` (sixty times real time), ``1`` (real time) or ``max`` (as fast as possible)."""
    if text.strip().lower() == "max":
        return MAX
    try:
        speed = float(text)
    except ValueError:
        raise ValueError(f"must be a positive number or 'max', got {text!r}") from None
    if not speed > 0 or math.isinf(speed):
        raise ValueError(f"must be a positive number or 'max', got {text!r}")
    return speed


class SimClock:
    """Simulated time that runs ``speed`` times faster than the wall clock, from ``start``."""

    def __init__(
        self, start_ns: int, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.start_ns = start_ns
        self.speed = speed
        self._monotonic = monotonic
        self._wall_start = monotonic()

    def now(self) -> float:
        """The simulated instant (ns) it is now; infinite at speed ``max``."""
        if self.speed == MAX:
            return math.inf
        return self.start_ns + (self._monotonic() - self._wall_start) * self.speed * 1e9

    def wall_seconds_until(self, ts: int) -> float:
        """How long to wait on the wall clock until simulated instant ``ts`` is due."""
        if self.speed == MAX:
            return 0.0
        return max(0.0, (ts - self.now()) / 1e9 / self.speed)

    async def sleep_until(self, ts: int) -> None:
        """Wait until simulated instant ``ts`` is due."""
        delay = self.wall_seconds_until(ts)
        if delay > 0:
            await asyncio.sleep(delay)


async def paced(
    values: Iterable[SignalValue], clock: SimClock, max_batch: int = 2000
) -> AsyncIterator[list[SignalValue]]:
    """The values in batches, each handed out once its instants are due on ``clock``.

    A batch holds values that are due together (never more than ``max_batch``); between batches
    the event loop always runs, so servers answer their clients even when serving falls behind
    the clock or runs at speed ``max``.
    """
    batch: list[SignalValue] = []
    due = clock.now()
    for value in values:
        if value.ts > due or len(batch) >= max_batch:
            if batch:
                yield batch
                batch = []
            if clock.wall_seconds_until(value.ts) > 0:
                await clock.sleep_until(value.ts)
            else:  # behind schedule or at speed max: still let servers answer their clients
                await asyncio.sleep(0)
            due = clock.now()
        batch.append(value)
    if batch:
        yield batch
