"""The OPC UA connector: one endpoint, its machines' signals, samples into a sink, until stopped.

Each session starts from scratch (a fresh asyncua client): connect, resolve every address again
(namespace URIs and browse paths may have moved), then subscribe in chunks the server's operation
limits allow, or poll. Notifications only enqueue; one task hands batches to the sink (the
outbox). A watchdog reads the server state every ``WATCHDOG_S``; a failed read, a subscription
status change or a dead session ends the session, and the loop reconnects with exponential
backoff and jitter. A node that cannot be resolved or monitored is reported and skipped; the
others carry on. While disconnected nothing is written: a gap stays a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from asyncua import Client, ua
from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent

from smkit.connectors.common.bindings import Binding, bindings_of
from smkit.connectors.common.health import SourceHealth
from smkit.connectors.common.sink import Sink
from smkit.connectors.common.storing import Storing
from smkit.connectors.contract import ConnectorContext
from smkit.connectors.opcua.backfill import Watermark, historizing, read_back, since
from smkit.connectors.opcua.resolve import Unresolved, resolve
from smkit.connectors.opcua.session import (
    MAX_MONITORED_ITEMS_PER_CALL,
    MAX_NODES_PER_READ,
    SessionEnded,
    explain,
    open_client,
    operation_limit,
    status_name,
    subscription_lost,
)
from smkit.connectors.opcua.values import sample_from
from smkit.core.backoff import Backoff
from smkit.core.sample import Quality, Sample
from smkit.core.timeunits import NS_PER_S
from smkit.errors import SmkitError
from smkit.plant.opcua import OpcUaSource
from smkit.protocols.opcua_address import parse_address

WATCHDOG_S = 1.0
BATCH = 5000
HELD = 500_000
"""Values held in memory while they cannot be stored (some 100 MB at most); newer ones are
dropped and counted beyond it."""
FIRST_LIVE_WAIT_S = 10.0
"""How long a first session waits for its monitored items' first values, from which it reads
back (every item sends its current value at once; a server may be slow to)."""
log = logging.getLogger("smkit.opcua")


class OpcUaConnector:
    """Collects the bound signals of one OPC UA source into a sink."""

    def __init__(
        self,
        source: OpcUaSource,
        bindings: Sequence[Binding],
        sink: Sink,
        *,
        password: str | None = None,
        backoff: Backoff | None = None,
        watermark: Path | None = None,
    ) -> None:
        self.source = source
        self.bindings = list(bindings)
        self.sink = sink
        self.password = password
        self.backoff = backoff or Backoff(initial_s=1.0, max_s=30.0)
        self.health = SourceHealth(source.id, source.endpoint)
        self._storing = Storing(self.health)
        self._queue: asyncio.Queue[Sample] = asyncio.Queue(HELD)
        self.watermark = Watermark(watermark)
        self._queued = self._stored = 0
        self._release_at: int | None = None
        """How many values must be stored before the watermark held for a read-back moves."""
        self._live_first: dict[ua.NodeId, int] = {}
        """The source time of each node's first good value this session: where its read-back
        ends (its monitored item reports everything after)."""
        self._read_to: dict[ua.NodeId, int] = {}
        """How far each node's values are queued without a hole since the gap held open began
        (read back, then live once its read-back is done): a session lost before its read-back
        is stored leaves the next one to go on from there."""
        self._caught_up: set[ua.NodeId] = set()
        """The nodes whose read-back this session is done: their live values extend the above."""
        self._dropped_before = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Collect until ``stop`` is set; reconnect after every failure."""
        pump = asyncio.create_task(self._pump())
        try:
            while not stop.is_set():
                try:
                    await self._session(stop)
                except (OSError, TimeoutError, ConnectionError, ua.UaError, SessionEnded) as error:
                    if not stop.is_set():  # a session ended by stopping is not an outage
                        self.health.went_down(explain(error, self.source), log)
                except SmkitError as error:
                    self.health.went_down(str(error), log)
                if not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.backoff.next_delay())
        finally:
            self.health.stopped()
            await self._queue.join()
            pump.cancel()
            self.watermark.flush()

    async def _session(self, stop: asyncio.Event) -> None:
        client = await open_client(self.source, self.password)
        await asyncio.wait_for(client.connect(), self.source.connect_timeout)
        lost: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        try:
            nodes = await self._resolve(client)
            backfill = self.source.mode == "subscribe" and self.source.history_backfill
            self._live_first = {}
            self._caught_up = set()
            if backfill:
                self.watermark.hold()  # released once the read-back is stored
                self._release_at = None  # a new gap: an earlier read-back's release waits for it
            if self.source.mode == "subscribe":
                worker = await self._subscribe(client, nodes, lost)
            else:
                worker = asyncio.create_task(self._poll(client, nodes, stop))
            self._up()  # up means collecting: the monitored items exist from here on
            self._report_failed_nodes()
            try:
                if backfill:
                    await self._read_back(client, nodes)  # what changed while not subscribed
                    self._release_at = self._queued
                    self._release_when_stored()
                await self._watch(client, stop, lost, worker)
            finally:
                worker.cancel()  # also when the session ends during the read-back
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), 2.0)

    async def _resolve(self, client: Client) -> dict[ua.NodeId, Binding]:
        namespaces = await client.get_namespace_array()
        nodes: dict[ua.NodeId, Binding] = {}
        failed: dict[str, str] = {}
        for binding in self.bindings:
            try:
                node_id = await resolve(client, parse_address(binding.address), namespaces)
            except (Unresolved, ValueError) as error:
                failed[binding.address] = str(error)
                continue
            nodes[node_id] = binding
        self.health.failed_nodes = failed
        return nodes

    async def _subscribe(
        self, client: Client, nodes: dict[ua.NodeId, Binding], lost: asyncio.Future[str]
    ) -> asyncio.Task[None]:
        """Create the subscription and its monitored items; returns the task that reads it."""
        settings = self.source.subscription
        # No handler: asyncua then queues notifications (unbounded, never dropped) for an
        # iterator, instead of starting a task per notification.
        subscription = await client.create_subscription(
            settings.publishing_interval * 1000, None, queue_maxsize=0
        )
        reader = asyncio.create_task(self._read(subscription, nodes, lost))
        per_call = await operation_limit(
            client, MAX_MONITORED_ITEMS_PER_CALL, self.source.max_nodes_per_call
        )
        requests = [_request(node_id, handle, settings) for handle, node_id in enumerate(nodes, 1)]
        ids = list(nodes)
        try:
            for start in range(0, len(requests), per_call):
                chunk = requests[start : start + per_call]
                results = await subscription.create_monitored_items(chunk)
                for node_id, result in zip(ids[start : start + per_call], results, strict=True):
                    if isinstance(result, ua.StatusCode):
                        self.health.failed_nodes[nodes[node_id].address] = status_name(result.value)
        except BaseException:
            reader.cancel()  # the session is ending: its reader goes with it
            raise
        return reader

    async def _read(
        self, subscription: Any, nodes: dict[ua.NodeId, Binding], lost: asyncio.Future[str]
    ) -> None:
        """Turn notifications into samples; a status change ends the session."""
        timestamp = self.source.timestamp
        async for event in subscription:
            if isinstance(event, DataChangeEvent):
                binding = nodes.get(event.node.nodeid)
                if binding is not None:
                    value = event.data.monitored_item.Value
                    sample = sample_from(value, binding, timestamp, time.time_ns())
                    self._accept(sample)
                    if sample.quality is not Quality.BAD:  # a bad one may carry no source time
                        self._live_first.setdefault(event.node.nodeid, sample.ts)
                        if event.node.nodeid in self._caught_up:
                            self._reached(event.node.nodeid, sample.ts + 1000)
            elif isinstance(event, StatusChangeEvent) and not lost.done():
                lost.set_result(subscription_lost(event.notification.Status.value))

    async def _read_back(self, client: Client, nodes: dict[ua.NodeId, Binding]) -> None:
        """Fill, from the server's history, what changed since the newest value stored (see
        :mod:`smkit.connectors.opcua.backfill`); the subscription already runs."""
        if self.source.timestamp == "receive":
            return  # no time to give values read back
        origin = self.watermark.newest_ns
        if origin is None:  # never stored a value: from just before its first live value
            origin = await self._first_live()
            if origin is None:
                return
            self.watermark.begin(origin)
        per_call = await operation_limit(client, MAX_NODES_PER_READ, self.source.max_nodes_per_call)
        kept = await historizing(client, list(nodes), per_call)
        if not kept:
            return
        start = since(origin, self.source.history_overlap)
        timestamp = self.source.timestamp
        self._dropped_before = self.health.dropped

        def accept(node_id: ua.NodeId, value: Any) -> None:
            self._accept(sample_from(value, nodes[node_id], timestamp, time.time_ns()))

        def reached(node_id: ua.NodeId, ns: int, done: bool) -> None:
            self._reached(node_id, ns)
            if done:  # from here the subscription's values follow without a hole
                self._caught_up.add(node_id)

        starts = {node_id: max(start, self._read_to.get(node_id, start)) for node_id in kept}
        try:
            count = await read_back(client, starts, accept, self._live_first.get, reached)
        except ua.UaStatusCodeError as error:  # the server refused: collect on, the gap stays
            log.warning("source %s: the server's history could not be read: %s",
                        self.source.id, error)  # fmt: skip
            return
        self.health.backfilled += count
        log.info("source %s: %d values read back from the server's history of %d nodes since "
                 "%s", self.source.id, count, len(kept), _utc(start))  # fmt: skip

    async def _first_live(self) -> int | None:
        """The newest first value of this session's monitored items, once one has come (None
        if none came within ``FIRST_LIVE_WAIT_S``): the server's present, near enough. Not the
        oldest: a node's first value carries the time it last changed, which can be days ago.

        A collector that never stored a value has no watermark, yet it may have started before
        the server it waited for (retrying while a machine's server still started): what the
        server changed meanwhile, within ``history_overlap``, is read back too."""
        deadline = time.monotonic() + FIRST_LIVE_WAIT_S
        while not self._live_first and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return max(self._live_first.values(), default=None)

    def _reached(self, node_id: ua.NodeId, ns: int) -> None:
        """A node's values up to ``ns`` are queued without a hole (none dropped meanwhile)."""
        if self.health.dropped == self._dropped_before and ns > self._read_to.get(node_id, 0):
            self._read_to[node_id] = ns

    async def _poll(
        self, client: Client, nodes: dict[ua.NodeId, Binding], stop: asyncio.Event
    ) -> None:
        per_call = await operation_limit(client, MAX_NODES_PER_READ, self.source.max_nodes_per_call)
        ids = list(nodes)
        while not stop.is_set():
            started = time.monotonic()
            for start in range(0, len(ids), per_call):
                chunk = ids[start : start + per_call]
                values = await client.read_attributes([client.get_node(n) for n in chunk])
                received = time.time_ns()
                for node_id, data_value in zip(chunk, values, strict=True):
                    self._accept(sample_from(data_value, nodes[node_id], self.source.timestamp,
                                             received))  # fmt: skip
            elapsed = time.monotonic() - started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, self.source.poll_interval - elapsed))

    async def _watch(
        self,
        client: Client,
        stop: asyncio.Event,
        lost: asyncio.Future[str],
        worker: asyncio.Task[None],
    ) -> None:
        """Until stopped: the server must answer, the subscription reader or poller must live."""
        state = client.get_node(ua.NodeId(ua.ObjectIds.Server_ServerStatus_State))
        while not stop.is_set():
            if lost.done():
                raise SessionEnded(lost.result())
            if worker.done():
                worker.result()  # raises what ended it
                raise SessionEnded("the subscription ended")
            value = await asyncio.wait_for(state.read_value(), self.source.request_timeout)
            if value != ua.ServerState.Running:
                raise SessionEnded(f"the server is {ua.ServerState(value).name}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WATCHDOG_S)
        if self.source.mode == "poll":
            await worker

    def _accept(self, sample: Sample) -> None:
        """Queue a value for storing; while storage is down and the queue is full, drop it,
        counted in the source's health (a server cannot be told to wait)."""
        try:
            self._queue.put_nowait(sample)
            self._queued += 1
        except asyncio.QueueFull:
            if not self.health.dropped:
                log.error("source %s: %d values held while they cannot be stored; newer ones "
                          "are dropped and counted until storage is back", self.source.id,
                          HELD)  # fmt: skip
            self.health.dropped += 1

    async def _pump(self) -> None:
        """Hand queued samples to the sink in batches; the only writer of this connector."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._storing.until_stored(partial(self.sink.put, batch))
                self.health.delivered(len(batch))
                self._mark_stored(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _mark_stored(self, batch: list[Sample]) -> None:
        """Move the watermark to the newest good value stored: a bad value (waiting for initial
        data, say) may carry no source time, and then the server's clock or ours stands in."""
        self._stored += len(batch)
        newest = max((s.ts for s in batch if s.quality is not Quality.BAD), default=None)
        if newest is not None:
            self.watermark.stored(newest)
        self._release_when_stored()

    def _release_when_stored(self) -> None:
        """Let the watermark move once every value queued before the read-back ended is stored."""
        if self._release_at is not None and self._stored >= self._release_at:
            self._release_at = None
            self._read_to.clear()
            self._caught_up.clear()
            self.watermark.release()

    def _up(self) -> None:
        if self.health.came_up(log):
            self.backoff.reset()

    def _report_failed_nodes(self) -> None:
        for address, reason in self.health.failed_nodes.items():
            log.warning("source %s: node %s skipped: %s", self.source.id, address, reason)


def _request(node_id: ua.NodeId, handle: int, settings: Any) -> ua.MonitoredItemCreateRequest:
    """A monitored item for a node's value, with the queue and deadband the source asks for."""
    parameters = ua.MonitoringParameters()
    parameters.ClientHandle = handle
    parameters.SamplingInterval = settings.sampling_interval * 1000
    parameters.QueueSize = settings.queue_size
    parameters.DiscardOldest = True
    if settings.deadband is not None:
        parameters.Filter = ua.DataChangeFilter(
            Trigger=ua.DataChangeTrigger.StatusValue,
            DeadbandType=ua.DeadbandType.Absolute
            if settings.deadband.kind == "absolute"
            else ua.DeadbandType.Percent,
            DeadbandValue=settings.deadband.value,
        )
    request = ua.MonitoredItemCreateRequest()
    request.ItemToMonitor = ua.ReadValueId(NodeId=node_id, AttributeId=ua.AttributeIds.Value)
    request.MonitoringMode = ua.MonitoringMode.Reporting
    request.RequestedParameters = parameters
    return request


def _utc(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / NS_PER_S, dt.UTC).isoformat(timespec="seconds")


def build(source: OpcUaSource, context: ConnectorContext) -> OpcUaConnector:
    """The :data:`~smkit.connectors.contract.ConnectorFactory` of ``kind: opcua``."""
    bindings = bindings_of(context.plant, source.id)
    return OpcUaConnector(source, bindings, context.sink, password=context.password,
                          watermark=context.keep_path(source.id, ".watermark.json"))  # fmt: skip
