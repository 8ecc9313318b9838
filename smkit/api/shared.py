"""One computation shared by every request for a few seconds: a plant board polled by twenty
screens costs one read of the historian per refresh, not twenty."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("smkit.api")


class Shared(Generic[T]):
    """The newest result of ``compute``. The first caller waits for it; once it is older than
    ``fresh_s``, the next caller starts one new computation in the background and every caller
    is answered the kept result until the new one is there (so no request waits for a refresh).
    A failed refresh is logged and tried again by the next caller."""

    def __init__(self, compute: Callable[[], Awaitable[T]], fresh_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._compute = compute
        self._fresh_s = fresh_s
        self._clock = clock
        self._kept: tuple[float, T] | None = None
        self._running: asyncio.Task[T] | None = None
        self.computations = 0

    async def get(self) -> T:
        """The kept result, refreshed in the background when stale; the first one awaited."""
        kept = self._kept
        if kept is not None and self._clock() - kept[0] >= self._fresh_s:
            self._refresh()
        if kept is not None:
            return kept[1]
        return await asyncio.shield(self._refresh())

    def _refresh(self) -> asyncio.Task[T]:
        if self._running is None:
            self.computations += 1
            self._running = asyncio.create_task(self._computed(self._clock()))
        return self._running

    async def _computed(self, began: float) -> T:
        try:
            value = await self._compute()
        except Exception:
            if self._kept is None:  # the first callers are waiting for it: they get the error
                raise
            log.exception("refreshing a shared result failed; the older one is served")
            return self._kept[1]
        finally:
            self._running = None
        self._kept = (began, value)
        return value
