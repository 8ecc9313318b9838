"""``smkit outbox``: how much is waiting for the historian, what was dropped or refused."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from smkit.cli.common import CollectorOption, PlantOption, collector_share, local_time, table
from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.historian.outbox import Outbox
from smkit.plant import load_plant
from smkit.plant.model import Plant

app = typer.Typer(help="Inspect the durable outbox.", no_args_is_help=True)


@app.command("status")
def status(
    plant_file: PlantOption = Path("plant.yaml"), collector_id: CollectorOption = None
) -> None:
    """Print the outbox depth, size, oldest entry and lifetime counters."""
    plant = collector_share(load_plant(plant_file), collector_id)
    if not plant.outbox.path.exists():
        typer.echo(f"outbox {plant.outbox.path}: not created yet (nothing was ever collected)")
        return

    async def read() -> None:
        async with Outbox(plant.outbox.path) as outbox:
            stats = await outbox.stats()
        age = (
            f"{(time.time_ns() - stats.oldest_enqueued_ns) / 1e9:.1f} s"
            if stats.oldest_enqueued_ns
            else "-"
        )
        typer.echo(f"outbox {plant.outbox.path}")
        typer.echo(
            f"  waiting: {stats.samples} samples in {stats.batches} batches, {stats.bytes} bytes"
        )
        typer.echo(
            f"  oldest waiting: {age}; bound {plant.outbox.max_bytes} bytes, "
            f"policy {plant.outbox.when_full}"
        )
        typer.echo(f"  dead letters kept: {stats.dead_letters}")
        for name, value in sorted(stats.counters.items()):
            typer.echo(f"  {name}: {value}")

    asyncio.run(read())


@app.command("dead-letters")
def dead_letters(
    plant_file: PlantOption = Path("plant.yaml"),
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    collector_id: CollectorOption = None,
) -> None:
    """Print the samples the historian refused, with the reason it gave."""
    plant = collector_share(load_plant(plant_file), collector_id)
    if not plant.outbox.path.exists():
        typer.echo("no dead letters (no outbox yet)")
        return

    async def read() -> None:
        async with Outbox(plant.outbox.path) as outbox:
            letters = await outbox.dead_letters(limit)
        zone = plant.site.timezone
        rows = [
            [
                local_time(d.created_ns, zone),
                d.sample.machine_id,
                d.sample.signal,
                repr(d.sample.value),
                d.reason,
            ]
            for d in letters
        ]
        headers = ["refused at", "machine", "signal", "value", "reason"]
        typer.echo(table(headers, rows, empty="no dead letters"))
        await _unreadable_messages(plant, limit)

    asyncio.run(read())


async def _unreadable_messages(plant: Plant, limit: int) -> None:
    """Messages a connector could not read (kept next to the outbox)."""
    path = plant.outbox.path.with_suffix(".dead.db")
    if not path.exists():
        return
    async with UnreadableMessages(path) as store:
        messages = await store.recent(limit)
    rows = [
        [local_time(m.received_ns, plant.site.timezone), m.source, m.origin,
         repr(m.payload[:40]) + ("…" if m.size > 40 else ""), m.reason]
        for m in messages
    ]  # fmt: skip
    typer.echo("\nmessages that could not be read:")
    typer.echo(table(["received at", "source", "from", "payload", "reason"], rows, empty="none"))
