"""One outbox file, two handles (as a collector and its forwarder process hold it): the one that
appends never discards; the one that delivers discards only what it does not hold, and both see
the queue's size exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from smkit.errors import OutboxFull
from smkit.historian.outbox import Outbox, encode
from tests.historian.test_outbox import samples


async def test_drop_oldest_is_left_to_the_delivering_handle_which_keeps_what_it_holds(
    tmp_path: Path,
) -> None:
    size = len(encode(samples(0, 10)))  # every batch below has this size
    bound = {"max_bytes": 3 * size + size // 2, "when_full": "drop_oldest"}
    async with (
        Outbox(tmp_path / "o.db", trims=False, **bound) as appending,  # type: ignore[arg-type]
        Outbox(tmp_path / "o.db", **bound) as delivering,  # type: ignore[arg-type]
    ):
        await appending.put(samples(0, 10))
        held = await delivering.peek(10)  # being delivered
        for n in range(1, 6):
            await appending.put(samples(n * 10, 10))
        assert (await appending.stats()).batches == 6, "the appending handle discards nothing"
        newer = await delivering.peek(1000)  # its next look brings the queue within bound
        stats = await delivering.stats()
        assert held is not None and newer is not None
        assert list(held.samples) == samples(0, 10), "what it holds is not discarded"
        assert list(newer.samples) == samples(40, 20)
        assert stats.batches == 3 and stats.bytes <= bound["max_bytes"]  # type: ignore[operator]
        assert stats.counters["dropped_full"] == 30
        await delivering.settle(held)
        await delivering.settle(newer)
        stats = await appending.stats()
    assert stats.counters["delivered"] == 30 and (stats.batches, stats.bytes) == (0, 0)


async def test_reject_new_sees_the_room_the_other_handle_made(tmp_path: Path) -> None:
    size = len(encode(samples(0, 10)))
    bound = {"max_bytes": 2 * size, "when_full": "reject_new"}
    async with (
        Outbox(tmp_path / "o.db", trims=False, **bound) as appending,  # type: ignore[arg-type]
        Outbox(tmp_path / "o.db", **bound) as delivering,  # type: ignore[arg-type]
    ):
        await appending.put(samples(0, 10))
        await appending.put(samples(10, 10))
        with pytest.raises(OutboxFull, match="reject_new"):
            await appending.put(samples(20, 10))
        batch = await delivering.peek(10)
        assert batch is not None
        await delivering.settle(batch)
        await appending.put(samples(20, 10))  # the room made in the other handle counts
        assert (await appending.stats()).batches == 2


async def test_a_file_of_an_older_smkit_gets_its_size_counted_when_opened(tmp_path: Path) -> None:
    async with Outbox(tmp_path / "o.db") as outbox:
        await outbox.put(samples(0, 10))
    with sqlite3.connect(tmp_path / "o.db") as db:
        db.execute("DROP TABLE queued")  # as an older smkit left it
    size = len(encode(samples(0, 10)))
    async with Outbox(tmp_path / "o.db", max_bytes=size, when_full="reject_new") as outbox:
        with pytest.raises(OutboxFull):
            await outbox.put(samples(10, 1))
        assert (await outbox.stats()).bytes == size
