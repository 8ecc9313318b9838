"""``smkit collect`` and ``smkit status``: run the collector; show what it last reported."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from smkit.cli.common import CollectorOption, PlantOption, collector_share, local_time, table
from smkit.errors import ConfigError
from smkit.plant import load_plant

UntilImported = Annotated[bool, typer.Option(
    "--until-imported", help="Stop once every file source has imported what its folder holds "
    "and the outbox is empty (to load exported logs once).")]  # fmt: skip


def collect(
    plant_file: PlantOption = Path("plant.yaml"),
    until_imported: UntilImported = False,
    collector_id: CollectorOption = None,
) -> None:
    """Collect every source of the plant (or of one of its collectors) into its historian
    until SIGINT or SIGTERM."""
    from smkit.collector import Collector  # noqa: PLC0415 - asyncua loads only when collecting

    plant = collector_share(load_plant(plant_file), collector_id)
    if until_imported and not any(source.kind == "file" for source in plant.sources):
        raise ConfigError("--until-imported: this plant has no file source (kind: file)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # asyncua logs each failure it raises, with tracebacks; the connector reports them itself.
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    # httpx logs every request (one per historian write) at INFO; failures are reported by smkit.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        collector = Collector(plant)
        typer.echo(f"collecting {len(collector.connectors)} source(s); stop with Ctrl-C")
        watcher = (
            asyncio.create_task(collector.stop_when_imported(stop)) if until_imported else None
        )
        await collector.run(stop)
        if watcher is not None and watcher.done():
            typer.echo("every file source is imported; `smkit oee report` shows its OEE")
        elif watcher is not None:
            watcher.cancel()  # stopped by a signal before the import was complete
        typer.echo("stopped; everything collected is in the outbox or the historian")

    asyncio.run(run())


def _problem(source: dict[str, Any]) -> str:
    """The source's error, and a storage outage (a full disk) when there is one."""
    held, parked = source.get("storage_error"), source.get("parked", 0)
    problems = [source["error"] or "", f"not stored, held: {held}" if held else "",
                f"{parked} messages wait for their Sparkplug birth" if parked else ""]  # fmt: skip
    return "; ".join(p for p in problems if p)


def status(plant_file: PlantOption = Path("plant.yaml")) -> None:
    """Show the health the collector of this plant last wrote."""
    from smkit.collector import health_path, last_health  # noqa: PLC0415 - see collect

    plant = load_plant(plant_file)
    document, running = last_health(plant, time.time_ns())
    if document is None:
        raise ConfigError(f"{health_path(plant)}: no health file yet (is `smkit collect "
                          f"--plant {plant_file}` running?)")  # fmt: skip
    age = time.time() - document["written_at_ns"] / 1e9
    zone = plant.site.timezone
    state = "running" if running else f"NOT RUNNING (last report {age:.0f} s ago)"
    typer.echo(f"collector: {state}")
    rows = []
    for source in document["sources"]:
        last = source["last_data_ns"]
        rows.append([
            source["source"], "up" if source["connected"] else "down", str(source["samples"]),
            local_time(last, zone) if last else "-",
            str(len(source.get("failed_nodes", {})) + source.get("dead", 0)),
            str(source.get("dropped", 0)), str(source.get("backfilled", 0)), _problem(source),
        ])  # fmt: skip
    headers = ["source", "state", "samples", "last data", "failed nodes / dead", "dropped",
               "read back", "error"]  # fmt: skip
    typer.echo(table(headers, rows, empty="no sources"))
    historian, outbox = document["historian"], document["outbox"]
    typer.echo(
        f"historian: {'up' if historian['historian_up'] else 'DOWN'}"
        f" ({historian['delivered']} delivered, {historian['retries']} retries"
        f"{', ' + historian['last_error'] if historian['last_error'] else ''})"
    )
    typer.echo(
        f"outbox: {outbox['samples']} samples waiting, {outbox['dead_letters']} dead letters"
    )
