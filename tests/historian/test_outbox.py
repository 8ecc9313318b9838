"""The outbox on a real SQLite file: order, durability, bounds and their counters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from smkit.core import Quality, Sample
from smkit.errors import OutboxError, OutboxFull
from smkit.historian.outbox import Outbox, decode, encode

S = 1_000_000_000


def samples(first: int, count: int, machine: str = "m1") -> list[Sample]:
    return [Sample(machine, "parts", first + n, first + n) for n in range(count)]


class Clock:
    """A settable clock, so expiry is tested without waiting."""

    def __init__(self) -> None:
        self.now = 1_000 * S

    def __call__(self) -> int:
        return self.now


def test_encoding_keeps_every_type_and_quality() -> None:
    batch = [
        Sample("m", "a", 1, 21.0),
        Sample("m", "b", 2, 21),
        Sample("m", "c", 3, True),
        Sample("m", "d", 4, 'Mặt bích "A"'),
        Sample("m", "e", 5, None, Quality.BAD, 0x80310000),
        Sample("m", "f", 6, 1.5, Quality.UNCERTAIN),
    ]
    assert list(decode(encode(batch))) == batch
    assert [type(s.value) for s in decode(encode(batch))] == [
        float,
        int,
        bool,
        str,
        type(None),
        float,
    ]
    assert [type(s.quality) for s in decode(encode(batch))] == [Quality] * 6


def test_encoding_refuses_values_it_cannot_keep() -> None:
    with pytest.raises(OutboxError, match="object"):
        encode([Sample("m", "a", 1, object())])  # type: ignore[arg-type]


async def test_fifo_and_settle(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    await outbox.put(samples(0, 3))
    await outbox.put(samples(3, 3))
    await outbox.put(samples(6, 3))
    first = await outbox.peek(max_samples=5)
    assert first is not None and list(first.samples) == samples(0, 3)  # whole batches only
    second = await outbox.peek(max_samples=6)
    assert second is not None and list(second.samples) == samples(
        3, 6
    )  # in-flight batches are skipped
    assert await outbox.peek(10) is None
    await outbox.settle(first)
    await outbox.release(second)
    again = await outbox.peek(100)
    assert again is not None and list(again.samples) == samples(3, 6)
    stats = await outbox.stats()
    assert (stats.batches, stats.samples) == (2, 6)
    assert stats.counters["accepted"] == 9 and stats.counters["delivered"] == 3
    await outbox.close()


async def test_accepted_data_survives_reopening(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    await outbox.put(samples(0, 100))
    await outbox.close()
    reopened = Outbox(tmp_path / "o.db")
    batch = await reopened.peek(1000)
    assert batch is not None and list(batch.samples) == samples(0, 100)
    assert (await reopened.stats()).counters["accepted"] == 100
    await reopened.close()


async def test_concurrent_puts_are_all_committed(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    await asyncio.gather(*(outbox.put(samples(n * 10, 10, f"m{n}")) for n in range(200)))
    stats = await outbox.stats()
    assert stats.samples == 2000
    assert stats.batches == 200
    await outbox.close()


async def test_drop_oldest_makes_room_and_counts(tmp_path: Path) -> None:
    size = len(encode(samples(10, 10)))  # every batch below has this size
    outbox = Outbox(tmp_path / "o.db", max_bytes=3 * size + size // 2, when_full="drop_oldest")
    for n in range(5):
        await outbox.put(samples(n * 10, 10))
    stats = await outbox.stats()
    assert stats.batches == 3 and stats.counters["dropped_full"] == 20
    batch = await outbox.peek(1000)
    assert batch is not None and list(batch.samples) == samples(20, 30)  # the newest three remain
    await outbox.close()


async def test_reject_new_refuses_and_keeps_the_old(tmp_path: Path) -> None:
    size = len(encode(samples(0, 10))) + len(encode(samples(10, 10)))
    outbox = Outbox(tmp_path / "o.db", max_bytes=size, when_full="reject_new")
    await outbox.put(samples(0, 10))
    await outbox.put(samples(10, 10))
    with pytest.raises(OutboxFull, match="reject_new"):
        await outbox.put(samples(20, 10))
    batch = await outbox.peek(1000)
    assert batch is not None and list(batch.samples) == samples(0, 20)
    assert (await outbox.stats()).counters["dropped_full"] == 0
    await outbox.close()


async def test_a_batch_larger_than_the_bound_is_refused(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_bytes=100)
    with pytest.raises(OutboxFull):
        await outbox.put(samples(0, 50))
    await outbox.put(samples(0, 1))
    assert (await outbox.stats()).samples == 1
    await outbox.close()


async def test_old_data_expires_and_is_counted(tmp_path: Path) -> None:
    clock = Clock()
    outbox = Outbox(tmp_path / "o.db", max_age_s=60, clock=clock)
    await outbox.put(samples(0, 5))
    clock.now += 30 * S
    await outbox.put(samples(5, 5))
    clock.now += 45 * S  # the first batch is now 75 s old
    batch = await outbox.peek(100)
    assert batch is not None and list(batch.samples) == samples(5, 5)
    assert (await outbox.stats()).counters["dropped_expired"] == 5
    await outbox.close()


async def test_dead_letters_keep_sample_and_reason(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", dead_letter_limit=3)
    await outbox.put(samples(0, 6))
    batch = await outbox.peek(100)
    assert batch is not None
    await outbox.settle(batch, [(s, f"refused {s.ts}") for s in batch.samples[:5]])
    letters = await outbox.dead_letters()
    assert [letter.reason for letter in letters] == ["refused 4", "refused 3", "refused 2"]
    assert letters[0].sample == samples(4, 1)[0]
    stats = await outbox.stats()
    assert stats.counters["dead_lettered"] == 5 and stats.counters["delivered"] == 1
    assert stats.batches == 0
    await outbox.close()
