"""Sparkplug DATA held back until the birth that defines it comes: read, not yet acknowledged.

The broker keeps an unacknowledged message, so a collector killed meanwhile loses nothing: it is
delivered again. A birth's values are stored with the DATA it defines, and only then is that DATA
acknowledged; what no birth defines in time is given up (the connector dead-letters it).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from smkit.connectors.common.health import SourceHealth
from smkit.connectors.mqtt.sparkplug_reader import SparkplugRead, Waiting

M = TypeVar("M")


class ParkedMessages(Generic[M]):
    """The messages each edge node or device holds back, counted in the source's health."""

    def __init__(self, health: SourceHealth) -> None:
        self.health = health
        self._held: dict[Waiting, list[M]] = {}
        self._released: list[M] = []

    def hold_or_release(self, read: SparkplugRead, message: M) -> bool:
        """Hold ``message`` if it waits for a birth, and release what the births it carries
        now define; whether it was held."""
        for waiting in read.replayed:
            self._released += self._held.pop(waiting, [])
        if read.parked is not None:
            self._held.setdefault(read.parked, []).append(message)
        if read.parked is not None or read.replayed:
            self._count()
        return read.parked is not None

    def take_released(self) -> list[M]:
        """The held messages whose values the births read since the last call carry."""
        released, self._released = self._released, []
        return released

    def give_up(self, waiting: Waiting) -> list[M]:
        """The messages held for ``waiting``, no longer held (no birth came in time)."""
        gone = self._held.pop(waiting, [])
        self._count()
        return gone

    def _count(self) -> None:
        self.health.parked = sum(len(held) for held in self._held.values())
