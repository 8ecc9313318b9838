"""A historian's sample writes done in a process of their own, for a collector's forwarder.

Most of a forwarder's time is the historian's write itself (SQLite binds every value, InfluxDB
gets its line protocol built): over half of it, measured by ``benchmarks/mqtt_ingest.py``. It
holds the interpreter lock, so in the collector's process it took turns with the connectors
on one core. :class:`WriterProcess` sends each batch, in the outbox's own format, to a child
process that holds its own historian, and returns once the child says the batch is stored,
or raises the child's historian error. The outbox and its guarantees stay in the collector: a
batch is settled only after its write was answered, so a child that dies (or is killed)
mid-write loses nothing; the batch is written again (writes are idempotent) by a new child,
started by the next write. Closing asks the child to stop; a collector whose process is killed
takes its child with it, which stops when its pipe ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Self

from smkit.core.lifetime import AsyncClosing
from smkit.core.sample import Sample
from smkit.errors import HistorianUnavailable, SmkitError
from smkit.historian.outbox import decode, encode
from smkit.historian.protocol import Historian

Opener = Callable[[], Historian]
"""Opens the child's historian (it must pickle: a ``functools.partial`` of a module's function
or class, for example)."""
STOP_WAIT_S = 10.0
"""How long closing waits for the child to finish the write in hand before killing it."""


class WriterProcess(AsyncClosing):
    """``write_samples`` of the historian ``opener`` opens, in a child process."""

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self._child: BaseProcess | None = None
        self._pipe: Connection | None = None
        self._answers: deque[asyncio.Future[None]] = deque()
        self._sending = ThreadPoolExecutor(1, thread_name_prefix="smkit-writer")

    async def __aenter__(self) -> Self:
        """Start the child now, so that the first write does not wait for it to start."""
        if self._pipe is None:
            self._start()
        return self

    @property
    def pid(self) -> int | None:
        """The child's process id; None while none runs."""
        return None if self._child is None else self._child.pid

    async def write_samples(self, samples: Sequence[Sample]) -> None:
        """Store samples through the child; return when it has them durable."""
        if not samples:
            return
        pipe = self._pipe if self._pipe is not None else self._start()
        answer = asyncio.get_running_loop().create_future()
        self._answers.append(answer)  # answers come back in the order writes are sent
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._sending, pipe.send_bytes, encode(samples)
            )
        except OSError as error:  # the child is gone: the reader fails every waiting write
            with contextlib.suppress(ValueError):
                self._answers.remove(answer)
            raise HistorianUnavailable(f"the historian writer process is gone: {error}") from None
        await answer

    async def close(self) -> None:
        """Let the child finish the write in hand and stop; then stop the sending thread."""
        child, pipe = self._child, self._pipe
        self._child = self._pipe = None
        if pipe is not None:  # an empty message says stop (closing our end would not wake
            # the thread reading it, so the child would not see the end)
            with contextlib.suppress(OSError):
                await asyncio.get_running_loop().run_in_executor(
                    self._sending, pipe.send_bytes, b""
                )
        if child is not None:
            await asyncio.to_thread(child.join, STOP_WAIT_S)
            if child.is_alive():
                child.kill()
                await asyncio.to_thread(child.join)
        if pipe is not None:
            pipe.close()
        self._sending.shutdown(wait=True)

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")  # the collector has threads: no fork
        mine, theirs = context.Pipe()
        child = context.Process(target=_serve, args=(self._opener, theirs),
                                name="smkit-historian-writer", daemon=True)  # fmt: skip
        child.start()
        theirs.close()
        self._child, self._pipe = child, mine
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read_answers, args=(mine, child, loop),
                         name="smkit-writer-answers", daemon=True).start()  # fmt: skip
        return mine

    def _read_answers(
        self, pipe: Connection, child: BaseProcess, loop: asyncio.AbstractEventLoop
    ) -> None:
        """The reading thread: each answer to the oldest waiting write, until the pipe ends."""
        while True:
            try:
                answer = pipe.recv()
            except (EOFError, OSError):
                break
            loop.call_soon_threadsafe(self._answered, answer)
        with contextlib.suppress(RuntimeError):  # the loop itself closed: nothing waits
            loop.call_soon_threadsafe(self._ended, child)

    def _answered(self, answer: SmkitError | None) -> None:
        waiting = self._answers.popleft()
        if waiting.done():
            return
        if answer is None:
            waiting.set_result(None)
        else:
            waiting.set_exception(answer)

    def _ended(self, child: BaseProcess) -> None:
        """The child's pipe ended: every write still waiting failed; the next starts a child."""
        if self._child is child:
            self._child = self._pipe = None
        ended = f"the historian writer process ended (exit code {child.exitcode})"
        while self._answers:
            waiting = self._answers.popleft()
            if not waiting.done():
                waiting.set_exception(HistorianUnavailable(ended))


def _serve(opener: Opener, pipe: Connection) -> None:
    """The child: write each batch the pipe brings, answer None or the error, until it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the
    # collector decides when this stops, by closing the pipe
    asyncio.run(_answer_writes(opener, pipe))


async def _answer_writes(opener: Opener, pipe: Connection) -> None:
    async with opener() as historian:
        while True:
            try:
                payload = await asyncio.to_thread(pipe.recv_bytes)
            except (EOFError, OSError):
                return
            if not payload:
                return
            answer: SmkitError | None = None
            try:
                await historian.write_samples(decode(payload))
            except SmkitError as error:
                answer = error
            except Exception as error:  # a bug: reported to the collector, as in its process
                answer = SmkitError(f"historian writer: {error!r}")
            pipe.send(answer)
