"""Writes batches into an SQLite historian from its own process, for the multi-process test.

Usage: python sqlite_writer_process.py DB_PATH BATCHES
Prints the number of each batch once it is committed.
"""

from __future__ import annotations

import asyncio
import sys

from smkit.core import Sample
from smkit.historian import SqliteHistorian

PER_BATCH = 200
T0 = 1_764_000_000 * 1_000_000_000


def batch(number: int) -> list[Sample]:
    first = number * PER_BATCH
    return [Sample(f"m{k % 4}", "count", T0 + first + k, first + k) for k in range(PER_BATCH)]


async def main(path: str, batches: int) -> None:
    historian = SqliteHistorian(path)
    for number in range(batches):
        await historian.write_samples(batch(number))
        print(number, flush=True)
    await historian.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
