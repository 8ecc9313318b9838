"""A collector's forwarder run in a process of its own.

Taking batches from the outbox, decoding them, the historian's writes and settling were about
half of a collector's interpreter time (``benchmarks/mqtt_ingest.py``, Sparkplug B), and in the
collector's process they took turns with the connectors on one core. :class:`ForwarderProcess`
runs an ordinary :class:`~smkit.historian.forwarder.Forwarder` in a spawned child with its own
handle on the outbox file and its own historian, so every guarantee of the forwarder holds as it
is: the child alone takes, settles and discards batches, while the collector's handle only
appends (``Outbox(trims=False)``); the outbox keeps its size in the file, so both see it.

The child reports its health and its log records over a pipe; the collector shows them as its
own. ``drain`` asks the child to deliver what is queued and end. A child that dies is started
again after ``RESTART_S``: the batches it held were not settled, so the new child delivers
them again (historian writes are idempotent). A collector that is killed takes its child with
it: the child's pipe ends, and it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from smkit.core.lifetime import AsyncClosing
from smkit.historian.forwarder import Forwarder, ForwarderHealth
from smkit.historian.protocol import Historian

Opener = Callable[[], tuple[Forwarder, Historian]]
"""Builds, in the child, a forwarder and the historian it writes to, both still closed (it
must pickle: a ``functools.partial`` of a module's function, for example)."""
RESTART_S = 1.0
"""How long after a child died the next one starts."""
REPORT_EVERY_S = 0.02
"""How often the child looks whether its health changed, to report it (a report is a few
hundred bytes: the collector's health file and anyone waiting for a delivery see it soon)."""
STOP_WAIT_S = 10.0
"""How long closing waits for the child to finish the write in hand before killing it."""
log = logging.getLogger(__name__)


@dataclass
class _Child:
    """One child process, its pipe, and whether its pipe has ended."""

    process: BaseProcess
    pipe: Connection
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class ForwarderProcess(AsyncClosing):
    """A forwarder in a child process, with the forwarder's ``run``, ``drain`` and ``health``."""

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self._child: _Child | None = None
        self._earlier = ForwarderHealth()
        self.health = ForwarderHealth()
        """The health as the child last reported it, its counts added to those of the
        children before it (counts only grow, as a forwarder's own do)."""

    @property
    def pid(self) -> int | None:
        """The child's process id; None while none runs."""
        return None if self._child is None else self._child.process.pid

    async def __aenter__(self) -> ForwarderProcess:
        """Start the child now: it takes a second or two to start."""
        self._running()
        return self

    async def run(self, stop: asyncio.Event) -> None:
        """Keep a child forwarding until ``stop`` is set (the child goes on until ``drain``
        or ``close``); one that dies is logged and started again."""
        while not stop.is_set():
            child = self._running()
            stopped = asyncio.create_task(stop.wait())
            ended = asyncio.create_task(child.ended.wait())
            await asyncio.wait({stopped, ended}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            ended.cancel()
            if child.ended.is_set() and not stop.is_set():
                await asyncio.to_thread(child.process.join, STOP_WAIT_S)
                log.error("the forwarder process ended (exit code %s); starting another in %.0f s",
                          child.process.exitcode, RESTART_S)  # fmt: skip
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RESTART_S)

    async def drain(self) -> None:
        """Let the child deliver everything queued now, then end."""
        child = self._running()
        with contextlib.suppress(OSError):
            child.pipe.send("drain")
        await child.ended.wait()
        await asyncio.to_thread(child.process.join, STOP_WAIT_S)

    async def close(self) -> None:
        """Stop the child (it finishes the write in hand) and wait for it; kill it if it hangs."""
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):
            child.pipe.send("stop")
        await asyncio.to_thread(child.process.join, STOP_WAIT_S)
        if child.process.is_alive():
            child.process.kill()
            await asyncio.to_thread(child.process.join)
        with contextlib.suppress(TimeoutError):  # the reading thread sees the pipe end
            await asyncio.wait_for(child.ended.wait(), STOP_WAIT_S)
        child.pipe.close()

    def _running(self) -> _Child:
        """The running child, started if there is none (or the last one ended)."""
        if self._child is not None and not self._child.ended.is_set():
            return self._child
        if self._child is not None:  # it ended: what it counted carries over
            self._child.pipe.close()
            self._earlier = self.health
        context = multiprocessing.get_context("spawn")  # the collector has threads: no fork
        mine, theirs = context.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        process = context.Process(target=_serve, args=(self._opener, theirs, level),
                                  name="smkit-forwarder", daemon=True)  # fmt: skip
        process.start()
        theirs.close()
        child = self._child = _Child(process, mine)
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read_reports, args=(child, loop),
                         name="smkit-forwarder-reports", daemon=True).start()  # fmt: skip
        return child

    def _read_reports(self, child: _Child, loop: asyncio.AbstractEventLoop) -> None:
        """The reading thread: each report of the child to the loop, until its pipe ends."""
        while True:
            try:
                report = child.pipe.recv()
            except (EOFError, OSError):
                break
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens
                loop.call_soon_threadsafe(self._reported, report)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(child.ended.set)

    def _reported(self, report: tuple[Any, ...]) -> None:
        if report[0] == "health":
            self.health = _added(self._earlier, ForwarderHealth(**report[1]))
        elif report[0] == "log":
            _, name, level, text = report
            logging.getLogger(name).log(level, "%s", text)


def _added(earlier: ForwarderHealth, current: ForwarderHealth) -> ForwarderHealth:
    """The current child's health, with the counts of the children before it added."""
    newest = dict(earlier.newest_ns)
    for machine, ts in current.newest_ns.items():
        newest[machine] = max(ts, newest.get(machine, ts))
    deliveries = [t for t in (earlier.last_delivery_ns, current.last_delivery_ns) if t]
    return ForwarderHealth(
        historian_up=current.historian_up,
        last_error=current.last_error,
        last_delivery_ns=max(deliveries, default=None),
        delivered=earlier.delivered + current.delivered,
        dead_lettered=earlier.dead_lettered + current.dead_lettered,
        retries=earlier.retries + current.retries,
        newest_ns=newest,
    )


def _serve(opener: Opener, pipe: Connection, level: int) -> None:
    """The child: forward until told to drain or stop, or until the collector's pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the
    # collector decides when this stops
    reports = _Reports(pipe)
    root = logging.getLogger()
    root.handlers[:] = [_PipeHandler(reports)]
    root.setLevel(level)
    asyncio.run(_forward(opener, reports))


class _Reports:
    """The child's end of the pipe: reports out (from any thread), commands in."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self._sending = threading.Lock()

    def send(self, report: tuple[Any, ...]) -> None:
        with self._sending, contextlib.suppress(OSError):
            self.pipe.send(report)

    def commands(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str]) -> None:
        """The command thread (a daemon: a process that ends does not wait for it)."""
        while True:
            try:
                command = self.pipe.recv()
            except (EOFError, OSError):
                command = "stop"
            loop.call_soon_threadsafe(queue.put_nowait, command)
            if command == "stop":
                return


class _PipeHandler(logging.Handler):
    """Sends the child's log records to the collector, which logs them as its own."""

    def __init__(self, reports: _Reports) -> None:
        super().__init__()
        self.reports = reports

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.reports.send(("log", record.name, record.levelno, text))


async def _forward(opener: Opener, reports: _Reports) -> None:
    forwarder, historian = opener()
    commands: asyncio.Queue[str] = asyncio.Queue()
    threading.Thread(target=reports.commands, args=(asyncio.get_running_loop(), commands),
                     name="smkit-forwarder-commands", daemon=True).start()  # fmt: skip
    async with forwarder.outbox, historian:
        reporter = asyncio.create_task(_report(forwarder, reports))
        stop = asyncio.Event()
        work = asyncio.create_task(forwarder.run(stop))
        command = await commands.get()
        stop.set()
        await work
        if command == "drain":
            draining = asyncio.create_task(forwarder.drain())
            told = asyncio.create_task(commands.get())  # "stop" cuts a drain short
            await asyncio.wait({draining, told}, return_when=asyncio.FIRST_COMPLETED)
            for task in (draining, told):
                task.cancel()
        reporter.cancel()
        reports.send(("health", dataclasses.asdict(forwarder.health)))


async def _report(forwarder: Forwarder, reports: _Reports) -> None:
    """The health, each time it changed (looked at every ``REPORT_EVERY_S``)."""
    last: dict[str, Any] = {}
    while True:
        health = dataclasses.asdict(forwarder.health)
        if health != last:
            reports.send(("health", health))
            last = health
        await asyncio.sleep(REPORT_EVERY_S)
