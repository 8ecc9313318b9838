"""A simulated OPC UA factory in its own process, and a plant.yaml that collects from it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml

from smkit.localservers import free_port
from smkit.simulators.catalog import SCENARIOS


def collecting_plant(
    folder: Path,
    endpoint: str,
    source: dict[str, Any] | None = None,
    historian: dict[str, Any] | None = None,
) -> Path:
    """The CNC cell's own plant.yaml, pointed at ``endpoint``, with its files in ``folder``."""
    plant = yaml.safe_load((SCENARIOS / "cnc-cell" / "plant.yaml").read_text())
    plant["sources"] = [{"id": "cell-opcua", "kind": "opcua", "endpoint": endpoint,
                         "subscription": {"publishing_interval": "100ms", "queue_size": 5000},
                         **(source or {})}]  # fmt: skip
    plant["historian"] = historian or {"kind": "sqlite", "path": "historian.db"}
    plant["outbox"] = {"path": "outbox.db"}
    path = folder / "plant.yaml"
    path.write_text(yaml.safe_dump(plant, allow_unicode=True))
    return path


@asynccontextmanager
async def simulator(
    folder: Path, *args: str
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """``smkit simulate opcua -s cnc-cell ARGS`` in a child process, once it listens."""
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", "simulate", "opcua", "-s", "cnc-cell",
        "--endpoint", endpoint, "--values", str(folder / "values.jsonl"),
        "--truth", str(folder / "truth.json"), *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    assert line.startswith(b"serving"), line
    try:
        yield endpoint, process
    finally:
        if process.returncode is None:
            process.terminate()
        await process.communicate()


def served(folder: Path) -> list[dict[str, Any]]:
    """Every value the simulator served."""
    return [json.loads(line) for line in (folder / "values.jsonl").read_text().splitlines()]
