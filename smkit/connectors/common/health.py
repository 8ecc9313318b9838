"""What a connector reports about its source, and the rule for logging outages: once each.

A source that stays unreachable is retried again and again; its outage is logged when it starts
(or when its reason changes) and its return once, not on every attempt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field


@dataclass
class SourceHealth:
    """One source as the collector reports it (``smkit status``, the health file)."""

    source: str
    endpoint: str
    connected: bool = False
    since_ns: int = 0
    last_data_ns: int | None = None
    error: str | None = None
    samples: int = 0
    sessions: int = 0
    messages: int = 0
    dead: int = 0
    failed_nodes: dict[str, str] = field(default_factory=dict)
    storage_error: str | None = None
    """Why what the source sends cannot be stored now (a full disk): it is held, not lost."""
    dropped: int = 0
    """Values dropped because the buffer holding them during a storage outage was full."""
    backfilled: int = 0
    """Values read back from the server's history after a gap (OPC UA)."""
    parked: int = 0
    """DATA messages held, unacknowledged, until the birth that defines them comes (Sparkplug)."""

    def came_up(self, log: logging.Logger) -> bool:
        """A session is open; returns whether the source was down before (and logs it then)."""
        self.sessions += 1
        if self.connected:
            return False
        self.connected, self.since_ns, self.error = True, time.time_ns(), None
        log.info("source %s: connected to %s", self.source, self.endpoint)
        return True

    def went_down(self, reason: str, log: logging.Logger) -> None:
        """The session ended or could not open; logged once per outage and reason."""
        if self.connected or self.error != reason:
            log.warning("source %s down: %s", self.source, reason)
        self.stopped()
        self.error = reason

    def stopped(self) -> None:
        """No session any more (also when the collector stops)."""
        if self.connected:
            self.connected, self.since_ns = False, time.time_ns()

    def delivered(self, samples: int, messages: int = 0, dead: int = 0) -> None:
        """Samples (from messages, some dead-lettered) reached the outbox."""
        self.samples += samples
        self.messages += messages
        self.dead += dead
        if samples:
            self.last_data_ns = time.time_ns()
