"""Every option of plant.yaml's ``outbox:`` block changes what ``smkit collect`` does."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from smkit.collector import child_forwarder
from smkit.core import Sample
from smkit.historian.forwarder import Forwarder
from smkit.historian.protocol import Historian
from smkit.localservers import free_port
from smkit.plant import load_plant
from tests.historian.test_forwarder import stream
from tests.plant.test_loader import MINIMAL


def forwarder(
    folder: Path, outbox: dict[str, Any], historian: dict[str, Any]
) -> tuple[Forwarder, Historian]:
    """The forwarder ``smkit collect`` runs for this plant (in a process of its own on two
    cores, see ``test_forwarder_process``), and its historian, here in this process."""
    plant = yaml.safe_load(MINIMAL)
    plant.update(outbox={"path": "outbox.db", **outbox}, historian=historian)
    (folder / "plant.yaml").write_text(yaml.safe_dump(plant))
    return child_forwarder(load_plant(folder / "plant.yaml"))


async def run_for(made: Forwarder, historian: Historian, seconds: float,
                  samples: Sequence[Sample]) -> None:  # fmt: skip
    """Put ``samples`` ten at a time (as connectors do), then forward for ``seconds``."""
    async with made.outbox, historian:
        for first in range(0, len(samples), 10):
            await made.outbox.put(samples[first : first + 10])
        stop = asyncio.Event()
        task = asyncio.create_task(made.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await task


async def batches_written(folder: Path, outbox: dict[str, Any]) -> list[int]:
    made, historian = forwarder(folder, outbox, {"kind": "sqlite", "path": "historian.db"})
    sizes: list[int] = []
    write = historian.write_samples

    async def counted(samples: Sequence[Sample]) -> None:
        sizes.append(len(samples))
        await write(samples)

    historian.write_samples = counted  # type: ignore[method-assign]
    await run_for(made, historian, 1.5, stream(1000))
    return sizes


async def test_batch_samples_sets_the_size_of_each_write(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    default = await batches_written(tmp_path / "a", {})
    small = await batches_written(tmp_path / "b", {"batch_samples": 70})
    assert default == [1000]
    assert sum(small) == 1000 and max(small) == 70 and len(small) == 15


async def retries_in(folder: Path, outbox: dict[str, Any], seconds: float) -> int:
    away = {"kind": "influx", "url": f"http://127.0.0.1:{free_port()}", "database": "x"}
    made, historian = forwarder(folder, outbox, away)
    await run_for(made, historian, seconds, stream(10))
    return made.health.retries


async def test_retry_initial_and_retry_max_set_how_often_an_absent_historian_is_tried(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    default = await retries_in(tmp_path / "a", {}, 2.0)
    quick = await retries_in(tmp_path / "b", {"retry_initial": "50ms", "retry_max": "100ms"}, 2.0)
    assert default <= 6, "0.5 s doubling: a few tries in 2 s"
    assert quick >= 12, "every 50-100 ms"
