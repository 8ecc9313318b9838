"""Rendered answers of reads, shared by identical requests: twenty screens showing a line's month
cost one computation per refresh, not twenty.

Each distinct read (route and parameters) is a :class:`~smkit.api.shared.Shared` answer: kept
for ``api.live_refresh`` seconds, then recomputed in the background while the kept one is still
served (an answer is at most that old, as the live status is). Every write through the API
drops them all, so a client reads its own write at once. The least recently asked are dropped
beyond ``capacity``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from fastapi import Response

from smkit.api.shared import Shared


@dataclass(frozen=True)
class Rendered:
    """An answer's body and headers, rendered once for every caller."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


class Answers:
    """The shared answers of reads (see the module docstring)."""

    def __init__(self, fresh_s: float, capacity: int = 256) -> None:
        self.fresh_s = fresh_s
        self.capacity = capacity
        self._by_read: OrderedDict[Hashable, Shared[Rendered]] = OrderedDict()

    async def get(self, read: Hashable, render: Callable[[], Awaitable[Rendered]]) -> Response:
        """The answer to ``read``, rendered by ``render`` when there is none fresh."""
        shared = self._by_read.get(read)
        if shared is None:
            shared = self._by_read[read] = Shared(render, self.fresh_s)
            while len(self._by_read) > self.capacity:
                self._by_read.popitem(last=False)
        else:
            self._by_read.move_to_end(read)
        return (await shared.get()).response()

    def clear(self) -> None:
        """Drop every answer (after a write)."""
        self._by_read.clear()
