"""``smkit collect``: every connector a plant declares, through the outbox, into the historian.

Connectors write only to the outbox (durable before a notification is let go); the forwarder
drains the outbox into the historian and survives its outages. On stop, connectors hand over
what they hold, the forwarder delivers what it can within ``flush_s``, and whatever is left
stays in the outbox for the next start. Health is written to ``<outbox>.health.json`` every
``HEALTH_EVERY_S`` seconds, which ``smkit status`` reads. OEE records are recomputed on the
plant's schedule (``oee.every``) in the same process, in a worker thread. On a machine of two
cores or more the forwarder runs in a process of its own (``forwarder_process``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.connectors.contract import Connector, ConnectorContext, FiniteConnector
from smkit.connectors.registry import build_connector
from smkit.core.backoff import Backoff
from smkit.core.timeunits import NS_PER_S
from smkit.errors import HistorianError
from smkit.historian.factory import open_historian
from smkit.historian.forwarder import Forwarder
from smkit.historian.forwarder_process import ForwarderProcess
from smkit.historian.outbox import Outbox
from smkit.historian.protocol import FieldValue, Historian, Record
from smkit.oee.schedule import schedule
from smkit.plant.model import Plant

HEALTH_EVERY_S = 2.0
HEALTH_RECORDS_EVERY = 5
"""Every this many health writes (10 s), the health also goes to the historian."""
HEALTH_MEASUREMENT = "smkit_health"
log = logging.getLogger("smkit.collect")


def health_path(plant: Plant) -> Path:
    """Where the collector of this plant (or of this collector's share of it) writes its
    health."""
    return plant.outbox.path.with_suffix(".health.json")


STALE_AFTER_S = 10.0
"""A health file older than this says the collector is not running (it writes every
``HEALTH_EVERY_S``)."""


def last_health(plant: Plant, now_ns: int) -> tuple[dict[str, Any] | None, bool]:
    """The health the plant's collector last wrote (None: never), and whether it is running.
    A plant split across ``collectors`` answers for all of them: one document, running only
    if every collector is."""
    found = [_health_file(path.with_suffix(".health.json"), now_ns)
             for path in plant.outbox_paths()]  # fmt: skip
    documents = [document for document, _ in found if document is not None]
    if not documents:
        return None, False
    running = len(documents) == len(found) and all(running for _, running in found)
    return (documents[0] if len(documents) == 1 else merged_health(documents)), running


def _health_file(path: Path, now_ns: int) -> tuple[dict[str, Any] | None, bool]:
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None, False
    age_s = (now_ns - int(document.get("written_at_ns", 0))) / 1e9
    return document, age_s < STALE_AFTER_S


def merged_health(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Several collectors' health as one: sources side by side, counts summed, the historian
    up only if every forwarder reaches it, each machine's newest sample the newest of all."""
    historians = [d["historian"] for d in documents]
    newest: dict[str, int] = {}
    for historian in historians:
        for machine, at in historian["newest_ns"].items():
            newest[machine] = max(newest.get(machine, at), at)
    errors = [h["last_error"] for h in historians if h["last_error"]]
    deliveries = [h["last_delivery_ns"] for h in historians if h["last_delivery_ns"]]
    return {
        "written_at_ns": min(d["written_at_ns"] for d in documents),
        "sources": [source for d in documents for source in d["sources"]],
        "historian": {
            "historian_up": all(h["historian_up"] for h in historians),
            "last_error": errors[0] if errors else "",
            "last_delivery_ns": max(deliveries, default=None),
            **{
                key: sum(h[key] for h in historians)
                for key in ("delivered", "dead_lettered", "retries")
            },
            "newest_ns": newest,
        },
        "dead_messages": sum(d["dead_messages"] for d in documents),
        "outbox": {key: sum(d["outbox"][key] for d in documents) for key in documents[0]["outbox"]},
    }


CHILD_POLL_S = 0.05
"""How often a forwarder in its own process looks for new batches when it has none (nothing
tells it when the collector appends)."""


def plant_outbox(plant: Plant, *, trims: bool = True) -> Outbox:
    """The plant's outbox, as plant.yaml sets it (``trims``: see :class:`Outbox`)."""
    config = plant.outbox
    return Outbox(config.path, max_bytes=config.max_bytes, max_age_s=config.max_age,
                  when_full=config.when_full, trims=trims)  # fmt: skip


def plant_forwarder(
    plant: Plant, outbox: Outbox, historian: Historian, *, idle_poll_s: float = 1.0
) -> Forwarder:
    """A forwarder from ``outbox`` to ``historian``, with plant.yaml's batch size and retries."""
    config = plant.outbox
    return Forwarder(outbox, historian, batch_samples=config.batch_samples,
                     backoff=Backoff(initial_s=config.retry_initial, max_s=config.retry_max),
                     idle_poll_s=idle_poll_s)  # fmt: skip


def child_forwarder(plant: Plant) -> tuple[Forwarder, Historian]:
    """The forwarder a :class:`ForwarderProcess` runs, with its own outbox handle and
    historian."""
    historian = open_historian(plant)
    forwarder = plant_forwarder(plant, plant_outbox(plant), historian, idle_poll_s=CHILD_POLL_S)
    return forwarder, historian


def forwards_in_a_process() -> bool:
    """Whether the forwarder gets a process of its own: on two cores or more, so that it runs
    beside the connectors rather than taking turns with them."""
    return len(os.sched_getaffinity(0)) >= 2


class Collector:
    """Runs a plant's connectors, its outbox and its forwarder until stopped."""

    def __init__(self, plant: Plant, *, flush_s: float = 10.0) -> None:
        self.plant = plant
        self.flush_s = flush_s
        separate = forwards_in_a_process()
        self.outbox = plant_outbox(plant, trims=not separate)
        self.historian = open_historian(plant)
        self.forwarder: Forwarder | ForwarderProcess = (
            ForwarderProcess(functools.partial(child_forwarder, plant))
            if separate
            else plant_forwarder(plant, self.outbox, self.historian)
        )
        self.dead = UnreadableMessages(plant.outbox.path.with_suffix(".dead.db"))
        self._health_unwritable = False
        self.connectors: list[Connector] = []
        for source in plant.sources:
            password_env = getattr(source, "password_env", None)
            password = plant.secret(password_env) if password_env else None
            context = ConnectorContext(plant, self.outbox, self.dead, password)
            self.connectors.append(build_connector(source, context))

    async def run(self, stop: asyncio.Event) -> None:
        """Collect until ``stop`` is set, then hand over and flush (see the module docstring)."""
        async with contextlib.AsyncExitStack() as opened:  # closed last in, first out
            for resource in (self.historian, self.dead, self.outbox):
                await opened.enter_async_context(resource)
            if isinstance(self.forwarder, ForwarderProcess):
                await opened.enter_async_context(self.forwarder)
            reporter = asyncio.create_task(self._report(stop))
            try:
                await asyncio.gather(
                    self.forwarder.run(stop),
                    schedule(self.plant, self.historian, stop),
                    *(connector.run(stop) for connector in self.connectors),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.forwarder.drain(), self.flush_s)
            finally:
                reporter.cancel()
                await self._record_health(await self._write_health())

    async def stop_when_imported(self, stop: asyncio.Event) -> None:
        """Set ``stop`` once every finite source has read all it holds and the outbox is
        empty: for loading exported files once (``smkit collect --until-imported``)."""
        finite = [c for c in self.connectors if isinstance(c, FiniteConnector)]
        await asyncio.gather(*(connector.imported.wait() for connector in finite))
        while (await self.outbox.stats()).samples:
            await asyncio.sleep(HEALTH_EVERY_S / 4)
        stop.set()

    async def _report(self, stop: asyncio.Event) -> None:
        turn = 0
        while not stop.is_set():
            document = await self._write_health()
            if turn % HEALTH_RECORDS_EVERY == 0:
                await self._record_health(document)
            turn += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEALTH_EVERY_S)

    async def _record_health(self, document: dict[str, Any]) -> None:
        """The health as records for the data-health dashboard; a historian that is away
        misses a point (the outbox, not this, keeps the data safe)."""
        try:
            await self.historian.write_records(health_records(document, self.plant))
        except HistorianError as error:
            log.debug("health records not written: %s", error)

    async def _write_health(self) -> dict[str, Any]:
        """Write the health file (a full disk is logged once, and collecting goes on)."""
        path = health_path(self.plant)
        document = await self.health()
        temporary = path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
            temporary.replace(path)
        except OSError as error:
            if not self._health_unwritable:
                log.error("health file %s cannot be written: %s", path, error)
            self._health_unwritable = True
        else:
            self._health_unwritable = False
        return document

    async def health(self) -> dict[str, Any]:
        """Sources, historian and outbox, as one JSON-ready document."""
        stats = await self.outbox.stats()
        return {
            "written_at_ns": time.time_ns(),
            "sources": [dataclasses.asdict(c.health) for c in self.connectors],
            "historian": dataclasses.asdict(self.forwarder.health),
            "dead_messages": await self.dead.count(),
            "outbox": {
                "samples": stats.samples,
                "batches": stats.batches,
                "bytes": stats.bytes,
                "dead_letters": stats.dead_letters,
                **stats.counters,
            },
        }


def health_records(document: dict[str, Any], plant: Plant) -> list[Record]:
    """A health document (:meth:`Collector.health`) as ``smkit_health`` records at the time it
    was written: one for the outbox and the historian (``part=outbox``), one per source
    (``part=source``: ``storing`` false while what it sends cannot be stored, as on a full
    disk under the outbox, whose health file then cannot be written) and one per machine with
    the age of its newest sample (``part=machine``). Counters (``delivered``, ``samples``)
    only grow; a dashboard derives rates from them."""
    at = int(document["written_at_ns"])
    outbox, forwarder = document["outbox"], document["historian"]
    totals: dict[str, FieldValue] = {
        "backlog_samples": int(outbox["samples"]),
        "backlog_bytes": int(outbox["bytes"]),
        "dead_letters": int(outbox["dead_letters"]),
        "dead_messages": int(document["dead_messages"]),
        "delivered": int(forwarder["delivered"]),
        "retries": int(forwarder["retries"]),
        "historian_up": bool(forwarder["historian_up"]),
    }
    out = [Record(HEALTH_MEASUREMENT, {"part": "outbox"}, totals, at)]
    for source in document["sources"]:
        fields: dict[str, FieldValue] = {"connected": bool(source["connected"]),
                                         "samples": int(source["samples"]),
                                         "dead": int(source["dead"]),
                                         "storing": source["storage_error"] is None,
                                         "dropped": int(source["dropped"])}  # fmt: skip
        if source["last_data_ns"] is not None:
            fields["last_data_age_s"] = (at - int(source["last_data_ns"])) / NS_PER_S
        out.append(Record(HEALTH_MEASUREMENT, {"part": "source", "source": source["source"]},
                          fields, at))  # fmt: skip
    places = plant.places()
    for machine, newest in sorted(forwarder["newest_ns"].items()):
        place = places.get(machine)
        if place is None:
            continue
        tags = {"part": "machine", "site": place.site, "area": place.area, "line": place.line,
                "machine": machine}  # fmt: skip
        out.append(Record(HEALTH_MEASUREMENT, tags,
                          {"last_sample_age_s": (at - int(newest)) / NS_PER_S}, at))  # fmt: skip
    return out
