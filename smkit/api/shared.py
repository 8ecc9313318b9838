"""One computation shared by every request for a few seconds: a plant board polled by twenty
screens costs one read of the historian per refresh, not twenty."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Shared(Generic[T]):
    """The newest result of ``compute``, computed again when older than ``fresh_s``. Callers
    that arrive while it is being computed wait for that computation; a failure is not kept."""

    def __init__(self, compute: Callable[[], Awaitable[T]], fresh_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._compute = compute
        self._fresh_s = fresh_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._kept: tuple[float, T] | None = None
        self.computations = 0

    async def get(self) -> T:
        """The kept result while fresh, else a new one."""
        kept = self._kept
        if kept is not None and self._clock() - kept[0] < self._fresh_s:
            return kept[1]
        async with self._lock:
            kept = self._kept
            if kept is not None and self._clock() - kept[0] < self._fresh_s:
                return kept[1]
            self.computations += 1
            began = self._clock()
            value = await self._compute()
            self._kept = (began, value)
            return value
