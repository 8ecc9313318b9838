"""Server processes the benchmarks start and wait for."""

from __future__ import annotations

import subprocess
import time

import httpx


def started(args: list[str], url: str) -> subprocess.Popen[bytes]:
    """A server process, once it answers."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(url, timeout=5)
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(args)} did not start") from None
            time.sleep(0.2)
