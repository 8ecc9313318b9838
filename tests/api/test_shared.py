"""One shared computation: the first caller waits, a stale result is refreshed in the background
once while every caller gets the kept one, and a failed refresh keeps the older result."""

from __future__ import annotations

import asyncio

import pytest

from smkit.api.shared import Shared


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_stale_results_are_refreshed_once_in_the_background() -> None:
    clock, calls, gate = Clock(), [], asyncio.Event()

    async def compute() -> int:
        calls.append(clock.now)
        if len(calls) > 1:
            await gate.wait()
        return len(calls)

    shared = Shared(compute, 5.0, clock)
    assert await asyncio.gather(shared.get(), shared.get()) == [1, 1]  # both wait for the first
    clock.now = 6.0
    assert [await shared.get() for _ in range(10)] == [1] * 10  # stale: kept, one refresh
    assert shared.computations == 2
    gate.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await shared.get() == 2 and shared.computations == 2


async def test_a_failed_refresh_keeps_the_older_result_and_is_tried_again() -> None:
    clock, outcomes = Clock(), iter([1, RuntimeError("historian away"), 3])

    async def compute() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    shared = Shared(compute, 5.0, clock)
    assert await shared.get() == 1
    clock.now = 6.0
    assert await shared.get() == 1
    await asyncio.sleep(0)
    assert await shared.get() == 1  # the failure was logged; the next caller tries again
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await shared.get() == 3


async def test_the_first_failure_reaches_the_caller() -> None:
    async def compute() -> int:
        raise RuntimeError("historian away")

    with pytest.raises(RuntimeError, match="historian away"):
        await Shared(compute, 5.0).get()
