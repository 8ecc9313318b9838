"""A small deterministic discrete-event engine: processes are generators, time is integer ns.

A process yields requests and is resumed when they are satisfied:

* :class:`Hold` until an instant;
* :class:`Take` parts from a :class:`Buffer`, giving up at a deadline (resumed with True/False);
* :class:`Put` parts into a buffer, waiting as long as it takes.

Events at the same instant run in the order they were scheduled, so a run depends only on its
inputs and its seeds. No clock, no threads, no I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

Process = Generator["Request", Any, None]


@dataclass(frozen=True)
class Hold:
    """Resume at ``until``."""

    until: int


@dataclass(frozen=True)
class Take:
    """Take ``count`` parts from ``buffer``; resume with False if ``deadline`` comes first."""

    buffer: Buffer
    count: int
    deadline: int


@dataclass(frozen=True)
class Put:
    """Put ``count`` parts into ``buffer`` once it has room."""

    buffer: Buffer
    count: int


Request = Hold | Take | Put


@dataclass
class _Wait:
    """A pending Take or Put; ``done`` makes the competing wake-up (deadline or part) a no-op."""

    process: Process
    count: int
    done: bool = False


@dataclass
class Buffer:
    """Parts between two machines of a series line."""

    capacity: int
    level: int = 0
    takers: list[_Wait] = field(default_factory=list)
    putters: list[_Wait] = field(default_factory=list)


class Engine:
    """Runs processes in time order until a horizon."""

    def __init__(self, start: int) -> None:
        self.now = start
        self._queue: list[tuple[int, int, Process, Any, _Wait | None]] = []
        self._order = 0

    def spawn(self, process: Process) -> None:
        """Start a process now."""
        self._schedule(self.now, process, None)

    def run(self, until: int) -> None:
        """Advance until no event is left before ``until``."""
        while self._queue and self._queue[0][0] < until:
            at, _, process, value, wait = heapq.heappop(self._queue)
            if wait is not None:
                if wait.done:
                    continue
                wait.done = True
            self.now = at
            self._resume(process, value)
        self.now = max(self.now, until)

    def _resume(self, process: Process, value: Any) -> None:
        try:
            request = process.send(value)
        except StopIteration:
            return
        if isinstance(request, Hold):
            self._schedule(max(request.until, self.now), process, None)
        elif isinstance(request, Take):
            self._take(process, request)
        else:
            self._put(process, request)

    def _take(self, process: Process, request: Take) -> None:
        wait = _Wait(process, request.count)
        request.buffer.takers.append(wait)
        self._schedule(request.deadline, process, False, wait)
        self._settle(request.buffer)

    def _put(self, process: Process, request: Put) -> None:
        request.buffer.putters.append(_Wait(process, request.count))
        self._settle(request.buffer)

    def _settle(self, buffer: Buffer) -> None:
        """Serve waiting takers and putters, first come first served, while parts or room allow.

        A served wait is marked done at once, so a deadline falling at the same instant cannot
        also resume it (and the parts it was given cannot be lost).
        """
        moved = True
        while moved:
            moved = False
            buffer.takers = [wait for wait in buffer.takers if not wait.done]
            if buffer.takers and buffer.level >= buffer.takers[0].count:
                wait = buffer.takers.pop(0)
                wait.done = True
                buffer.level -= wait.count
                self._schedule(self.now, wait.process, True)
                moved = True
            if buffer.putters and buffer.level + buffer.putters[0].count <= buffer.capacity:
                wait = buffer.putters.pop(0)
                buffer.level += wait.count
                self._schedule(self.now, wait.process, None)
                moved = True

    def _schedule(self, at: int, process: Process, value: Any, wait: _Wait | None = None) -> None:
        self._order += 1
        heapq.heappush(self._queue, (at, self._order, process, value, wait))
