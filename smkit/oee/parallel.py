"""A report of many machines computed by two processes, when the machine has two cores.

Reading a machine's columns and computing its periods both hold the interpreter lock most of
the time (a machine-day of packed SQLite hours is read in about twice the time the engine takes
for it), so a thread reading ahead gains nothing there; a second process takes a large report
at 1.5 times the rate of one on the project's 2-core VM. The
helper is forked before any event loop or thread exists, so it starts in milliseconds with
the plant already loaded, and it opens its own historian. Both take machines in chunks from a
shared counter until none is left; the helper sends its results back in one message, and the
report keeps the plant's order of machines. What a chunk's results become (rows of a
per-machine report, say) can be made where they were computed (:func:`report_parts`), so that
work is shared too and less crosses between the processes. A small report (one machine, or
few machine-days) is computed in this process alone: a fork would cost more than it saves.

``benchmarks/oee_report.py`` measures the report end to end with and against the raw read.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any, TypeVar

from smkit.core.timeunits import DAY_NS
from smkit.errors import SmkitError
from smkit.historian.factory import open_historian
from smkit.historian.protocol import Historian
from smkit.oee.rollup import PeriodResult
from smkit.oee.runner import period_results
from smkit.plant.model import Plant

CHUNK = 2
"""Machines taken at a time: few enough to share the end of a report evenly; two, so that from
InfluxDB the next machine's answer is awaited while this one is computed."""
MIN_MACHINE_DAYS = 30
"""Below this many machine-days a second process is not worth its start."""

T = TypeVar("T")
Chunks = list[list[str]]
Window = tuple[int, int, int, bool]
"""(start_ns, end_ns, horizon_ns, hourly)."""
Each = Callable[[list[PeriodResult]], list[T]]
"""What a chunk's period results become, in the process that computed them."""


def report_results(
    plant: Plant,
    window: Window,
    machines: Sequence[str] | None = None,
    *,
    processes: int | None = None,
) -> list[PeriodResult]:
    """Every chosen machine's period results (as :func:`~smkit.oee.runner.period_results`),
    computed by up to ``processes`` processes (by default one per core, at most two). Call it
    with no event loop running in this process."""
    return report_parts(plant, window, machines, list, processes=processes)


def report_parts(
    plant: Plant,
    window: Window,
    machines: Sequence[str] | None,
    each: Each[T],
    *,
    processes: int | None = None,
) -> list[T]:
    """``each`` of every chunk's period results (a chunk is a few machines), joined in the
    plant's order of machines; as :func:`report_results` otherwise. ``each`` runs in the
    process that computed the chunk, and what it returns must pickle."""
    chosen = [m.id for _, m in plant.machines() if machines is None or m.id in machines]
    chunks = [chosen[at : at + CHUNK] for at in range(0, len(chosen), CHUNK)]
    start_ns, end_ns, _, _ = window
    machine_days = len(chosen) * (end_ns - start_ns) / DAY_NS
    wanted = min(2, len(os.sched_getaffinity(0))) if processes is None else processes
    if wanted < 2 or len(chunks) < 2 or machine_days < MIN_MACHINE_DAYS:
        return asyncio.run(_alone(plant, window, chosen, each))
    return _in_two(plant, window, chunks, each)


def _in_two(plant: Plant, window: Window, chunks: Chunks, each: Each[T]) -> list[T]:
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)
    receiving, sending = context.Pipe(duplex=False)
    helper = context.Process(target=_helper, args=(plant, window, (chunks, each), taken, sending),
                             name="smkit-oee-helper", daemon=True)  # fmt: skip
    helper.start()
    sending.close()
    try:
        mine = asyncio.run(_share(plant, window, (chunks, each), taken))
        theirs = _received(receiving, helper)
    except BaseException:  # this report failed or was interrupted: the helper's work is moot
        helper.kill()
        raise
    finally:
        receiving.close()
        helper.join()
    by_chunk = mine | theirs
    return [made for number in range(len(chunks)) for made in by_chunk[number]]


def _helper(
    plant: Plant,
    window: Window,
    work: tuple[Chunks, Each[T]],
    taken: Synchronized[int],
    sending: Connection,
) -> None:
    """The forked process: compute chunks until none is left, send them (or the error)."""
    try:
        sending.send(("results", asyncio.run(_share(plant, window, work, taken))))
    except BaseException as exc:  # the report process raises it: nothing may be lost here
        sending.send(("error", exc if isinstance(exc, SmkitError) else SmkitError(repr(exc))))
    finally:
        sending.close()


def _received(receiving: Connection, helper: Any) -> dict[int, list[Any]]:
    try:
        kind, found = receiving.recv()
    except EOFError:
        raise SmkitError(f"the OEE helper process ended with code {helper.exitcode}") from None
    if kind == "error":
        raise found
    return found  # type: ignore[no-any-return]


async def _share(
    plant: Plant, window: Window, work: tuple[Chunks, Each[T]], taken: Synchronized[int]
) -> dict[int, list[T]]:
    """Take chunks from the shared counter and compute them, one historian for all."""
    chunks, each = work
    out: dict[int, list[T]] = {}
    async with open_historian(plant) as historian:
        while (number := _next(taken)) < len(chunks):
            out[number] = each(await _computed(plant, window, chunks[number], historian))
    return out


def _next(taken: Synchronized[int]) -> int:
    with taken.get_lock():
        number = taken.value
        taken.value = number + 1
    return number


async def _alone(plant: Plant, window: Window, machines: Sequence[str], each: Each[T]) -> list[T]:
    async with open_historian(plant) as historian:
        return each(await _computed(plant, window, machines, historian))


async def _computed(
    plant: Plant, window: Window, machines: Sequence[str], historian: Historian
) -> list[PeriodResult]:
    start_ns, end_ns, horizon_ns, hourly = window
    return await period_results(plant, historian, start_ns, end_ns, horizon_ns=horizon_ns,
                                machines=machines, hourly=hourly)  # fmt: skip
