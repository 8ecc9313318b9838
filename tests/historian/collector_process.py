"""A stand-alone collector for the kill -9 test: produces into the outbox and forwards to InfluxDB.

Usage: python collector_process.py OUTBOX_PATH INFLUX_URL DATABASE
After each ``put`` returns it prints the batch number, so the test knows what was accepted.
"""

from __future__ import annotations

import asyncio
import sys

from smkit.core import Backoff, Sample
from smkit.historian.forwarder import Forwarder
from smkit.historian.influx import InfluxHistorian
from smkit.historian.influx_http import InfluxHttp
from smkit.historian.outbox import Outbox

BATCH = 500
T0 = 1_764_000_000 * 1_000_000_000


def batch(number: int) -> list[Sample]:
    return [
        Sample(f"m{k % 7}", "parts", T0 + number * BATCH + k, number * BATCH + k)
        for k in range(BATCH)
    ]


async def main(path: str, url: str, database: str) -> None:
    outbox = Outbox(path)
    historian = InfluxHistorian(InfluxHttp(url, database), {}, batch_lines=700)
    forwarder = Forwarder(outbox, historian, batch_samples=1500, backoff=Backoff(0.01, 0.1))
    forwarding = asyncio.create_task(forwarder.run(asyncio.Event()))
    number = 0
    while True:
        await outbox.put(batch(number))
        print(number, flush=True)
        number += 1
        await asyncio.sleep(0)
        if forwarding.done():
            forwarding.result()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
