"""Exponential backoff with jitter, shared by every retry loop (connectors, outbox forwarder)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays that grow ``multiplier``-fold per failure up to ``max_s``, with "equal jitter".

    Each delay is drawn uniformly from [d/2, d] where d is the capped exponential delay, so many
    clients that failed together do not retry together, yet no delay collapses towards zero.
    ``rng`` is injectable so tests are deterministic.
    """

    initial_s: float = 0.5
    max_s: float = 30.0
    multiplier: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, hint_s: float | None = None) -> float:
        """Count one more failure and return how long to wait; a server's hint is a lower bound."""
        ceiling = min(self.max_s, self.initial_s * self.multiplier**self.failures)
        self.failures += 1
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return max(delay, hint_s) if hint_s is not None else delay

    def reset(self) -> None:
        """Forget past failures after a success."""
        self.failures = 0
