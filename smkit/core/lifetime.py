"""``async with`` for what smkit opens and must close (historians, the outbox, stores)."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncClosing:
    """Gives a class with ``async def close()`` the ``async with`` form: the lifetime of the
    resource is one line, and it is closed whatever happens inside."""

    async def close(self) -> None:
        """Release what the resource holds (connections, threads, file handles)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
