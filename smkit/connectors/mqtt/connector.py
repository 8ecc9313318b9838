"""The MQTT connector: subscribe, read each message, store, and only then acknowledge it.

paho runs on the event loop with ``manual_ack``: a QoS 1 message is acknowledged after its
samples are in the outbox (or, if it cannot be read, after it is in the file of unreadable
messages), so a crash between receiving and storing makes the broker send it again; replays
are harmless because samples are idempotent. With a persistent session (the default) the
broker keeps what arrives while the collector is away. Sparkplug B topics go to a
:class:`SparkplugReader`, the host side (births, aliases, sequence, deaths); rebirth requests
it calls for are sent from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from smkit.connectors.common.health import SourceHealth
from smkit.connectors.common.sink import Sink
from smkit.connectors.common.storing import Storing
from smkit.connectors.common.unreadable import (
    UnreadableMessage,
    UnreadableMessages,
    unreadable_message,
)
from smkit.connectors.contract import ConnectorContext
from smkit.connectors.mqtt.explain import explain_connect_error, explain_refusal
from smkit.connectors.mqtt.parked import ParkedMessages
from smkit.connectors.mqtt.parsers import PayloadReader, Reading, json_reader, parse_value
from smkit.connectors.mqtt.primary_host import STATE_GRACE_S, PrimaryHost
from smkit.connectors.mqtt.signal_values import SignalValues
from smkit.connectors.mqtt.sparkplug_births import BirthsFile
from smkit.connectors.mqtt.sparkplug_reader import (
    Rebirth,
    SparkplugReader,
    rebirth_request,
)
from smkit.connectors.mqtt.sparkplug_state import PARK_NS
from smkit.connectors.mqtt.topics import KNOWN_TOPICS, TopicTemplate
from smkit.core.backoff import Backoff
from smkit.core.batch import BatchBuilder
from smkit.errors import PayloadError, SmkitError
from smkit.plant.model import Plant
from smkit.plant.mqtt import MqttSource, Subscription
from smkit.protocols.mqtt_loop import BufferedClient, LoopAttachment
from smkit.protocols.mqtt_properties import read_properties_cheaply

BATCH = 1000
RECEIVE_MAXIMUM = 4 * BATCH
MAX_QUEUED = 2 * BATCH  # read but not yet stored: beyond it, reading pauses
log = logging.getLogger("smkit.mqtt")


class Received(NamedTuple):
    """What the connector keeps of a message until it is stored and acknowledged.

    Not paho's message itself: under MQTT 5 each carries a properties object of several dicts,
    and a few thousand of those held in the queue made the garbage collector cost more than
    reading them (half the rate of MQTT 3.1.1, measured by ``benchmarks/mqtt_ingest.py``)."""

    topic: str
    payload: bytes
    mid: int
    qos: int


class MqttConnector:
    """Collects what a broker's subscriptions carry into a sink."""

    def __init__(
        self,
        source: MqttSource,
        plant: Plant,
        sink: Sink,
        dead: UnreadableMessages,
        *,
        password: str | None = None,
        backoff: Backoff | None = None,
        births: Path | None = None,
    ) -> None:
        read_properties_cheaply()
        self.source = source
        self.sink = sink
        self.dead = dead
        self.password = password
        self.backoff = backoff or Backoff(initial_s=1.0, max_s=30.0)
        plain = [s for s in source.subscriptions if s.parser != "sparkplug_b"]
        self.routes = [(TopicTemplate(s.topic, source.shared_group), _reader(s)) for s in plain]
        self.places = {m.id: p for p, m in plant.machines() if m.source == source.id}
        self.signal_values = SignalValues({(m.id, s.name): s.value_type
                                           for _, m in plant.machines() if m.source == source.id
                                           for s in m.signals})  # fmt: skip
        sparkplug = [s for s in source.subscriptions if s.parser == "sparkplug_b"]
        signals = self.signal_values.signals()
        self.sparkplug = SparkplugReader(sparkplug, self._machine, signals) if sparkplug else None
        self.births = BirthsFile(births) if births is not None and sparkplug else None
        if self.sparkplug is not None and self.births is not None:
            self.sparkplug.host.restore(self.births.load(), self.births.load_marks())
        self.rebirths_requested = 0
        self._known_topics: dict[str, tuple[str, PayloadReader, str | None]] = {}
        self.health = SourceHealth(source.id, source.url)
        self._parked: ParkedMessages[Received] = ParkedMessages(self.health)
        self._storing = Storing(self.health)
        self._queue: asyncio.Queue[Received] = asyncio.Queue()
        self._lost = asyncio.Event()
        self._connected: asyncio.Future[Any] | None = None
        self._stopping = False
        self._session_open = False
        host_id = source.primary_host_id
        self.primary_host = PrimaryHost(host_id) if host_id is not None else None

    async def run(self, stop: asyncio.Event) -> None:
        """Collect until ``stop`` is set; reconnect (same session) after every loss."""
        client = self._client()
        consumer = asyncio.create_task(self._consume(client))
        watcher = asyncio.create_task(self._watch_sequences(client))
        try:
            while not stop.is_set():
                try:
                    await self._connect(client)
                    self.backoff.reset()
                    waits = [
                        asyncio.create_task(stop.wait()),
                        asyncio.create_task(self._lost.wait()),
                    ]
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                    for wait in waits:
                        wait.cancel()
                except (OSError, SmkitError) as error:
                    self.health.went_down(str(error), log)
                if not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.backoff.next_delay())
        finally:
            if self.primary_host is not None and self._session_open:
                await self.primary_host.say_offline(client)  # edge nodes stop and keep, and
                await asyncio.sleep(STATE_GRACE_S)  # what they sent before they heard is read
            await _drained(self._queue, consumer)
            consumer.cancel()
            watcher.cancel()
            self._stopping = True
            client.disconnect()

    def _client(self) -> mqtt.Client:
        source = self.source
        v5 = source.protocol == "5"
        client = BufferedClient(
            CallbackAPIVersion.VERSION2, client_id=source.session_client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, manual_ack=True,
            clean_session=None if v5 else not source.session.persistent,
        )  # fmt: skip
        if source.username is not None:
            client.username_pw_set(source.username, self.password)
        if urlsplit(source.url).scheme == "mqtts":
            tls = source.tls
            client.tls_set(
                ca_certs=str(tls.ca) if tls and tls.ca else None,
                certfile=str(tls.certificate) if tls and tls.certificate else None,
                keyfile=str(tls.private_key) if tls and tls.private_key else None,
                cert_reqs=ssl.CERT_REQUIRED if not tls or tls.verify else ssl.CERT_NONE,
            )
        self._attachment = LoopAttachment(client)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self.primary_host is not None:
            self.primary_host.answer(client, message.topic, bytes(message.payload))
        self._queue.put_nowait(
            Received(message.topic, bytes(message.payload), message.mid, message.qos)
        )
        if self._queue.qsize() >= MAX_QUEUED:
            self._attachment.pause_reading()

    async def _connect(self, client: mqtt.Client) -> None:
        parts = urlsplit(self.source.url)
        if self.primary_host is not None:
            self.primary_host.new_session(client)
        default_port = 8883 if parts.scheme == "mqtts" else 1883
        self._lost.clear()
        self._connected = asyncio.get_running_loop().create_future()
        properties = None
        if self.source.protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = (
                int(self.source.session.expiry) if self.source.session.persistent else 0
            )
            # Without it Mosquitto sends 20 messages at a time, and we acknowledge per batch.
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
        try:
            client.connect(parts.hostname or "", parts.port or default_port, keepalive=30,
                           clean_start=not self.source.session.persistent
                           if self.source.protocol == "5" else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
                           properties=properties)  # fmt: skip
        except OSError as error:
            raise SmkitError(explain_connect_error(self.source, error)) from None
        reason = await asyncio.wait_for(self._connected, 10.0)
        if reason.is_failure:
            client.disconnect()
            raise SmkitError(explain_refusal(self.source, reason))
        self._session_open = True
        self.health.came_up(log)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:  # fmt: skip
        if not reason.is_failure:
            for topic_filter in self._filters():
                client.subscribe(topic_filter, qos=self.source.qos)
            if self.primary_host is not None:
                self.primary_host.announce(client)
        if self._connected is not None and not self._connected.done():
            self._connected.set_result(reason)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:  # fmt: skip
        if self._stopping:
            self.health.stopped()
        elif self._session_open:  # not a failed attempt: _connect reports those itself
            self.health.went_down(f"disconnected: {reason}", log)
        self._session_open = False
        self._lost.set()

    async def _consume(self, client: mqtt.Client) -> None:
        """Read, store, then acknowledge, in batches; the only writer of this connector."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            samples = BatchBuilder()
            dead: list[UnreadableMessage] = []
            done: list[Received] = []  # read (stored or refused) once this batch is stored
            received = time.time_ns()
            for message in batch:
                refused, parked = self._read(client, message, received, samples)
                dead += [refused] if refused is not None else []
                done += [] if parked else [message]
            done += self._parked.take_released()  # DATA whose values this batch's births carry
            try:  # the broker holds what follows, unacknowledged, while storage is down
                await self._storing.until_stored(partial(self.dead.put, dead),
                                                 partial(self.sink.put, samples.batch()),
                                                 self._save_births)  # fmt: skip
                for message in done:
                    if message.qos > 0:
                        client.ack(message.mid, message.qos)
                self.health.delivered(len(samples), len(batch), len(dead))
            finally:
                for _ in batch:
                    self._queue.task_done()
                if self._queue.qsize() < BATCH:
                    self._attachment.resume_reading()

    async def _save_births(self) -> None:
        """Keep the births this batch changed, before its messages are acknowledged."""
        host = self.sparkplug.host if self.sparkplug is not None else None
        if host is not None and self.births is not None and host.births_changed:
            await self.births.save(host.births(), host.marks())
            host.births_changed = False

    def _filters(self) -> list[str]:
        filters = [template.filter for template, _ in self.routes]
        return filters + (self.sparkplug.filters if self.sparkplug else [])

    def _read(
        self, client: mqtt.Client, message: Received, received_ns: int, into: BatchBuilder
    ) -> tuple[UnreadableMessage | None, bool]:
        """Add the samples a message carries to ``into``; what of it cannot be read (None: all
        could), and whether it was parked (Sparkplug DATA waiting for its birth: acknowledged
        later)."""
        topic, payload = message.topic, message.payload
        problems: list[str] = []
        try:
            if self.sparkplug is not None and self.sparkplug.covers(topic):
                read = self.sparkplug.read(topic, payload, received_ns)
                self._rebirth(client, read.rebirth)
                if self._parked.hold_or_release(read, message):
                    return None, True
                problems = read.problems
                if read.plain is not None:
                    self.signal_values.add_plain(*read.plain, into, problems)
                for machine, reading in read.readings:
                    self.signal_values.add_reading(machine, reading, into, problems)
            else:
                machine, readings = self._readings(topic, payload, received_ns)
                for reading in readings:
                    self.signal_values.add_reading(machine, reading, into, problems)
        except PayloadError as error:
            return unreadable_message(self.source.id, topic, payload, str(error)), False
        if not problems:
            return None, False
        return unreadable_message(self.source.id, topic, payload, "; ".join(problems)), False

    async def _watch_sequences(self, client: mqtt.Client) -> None:
        """Ask for rebirths where Sparkplug seq numbers stayed missing past the reorder timeout."""
        while self.sparkplug is not None:
            await asyncio.sleep(0.25)
            for rebirth in self.sparkplug.overdue(time.time_ns()):
                self._rebirth(client, rebirth)
            for waiting in self.sparkplug.expired(time.time_ns()):
                await self._give_up(client, self._parked.give_up(waiting))

    async def _give_up(self, client: mqtt.Client, messages: list[Received]) -> None:
        """Dead-letter parked DATA whose birth never came, then acknowledge it."""
        reason = f"no birth defined it within {PARK_NS / 1e9:.0f} s"
        letters = [unreadable_message(self.source.id, m.topic, m.payload, reason) for m in messages]
        await self._storing.until_stored(partial(self.dead.put, letters))
        for message in messages:
            if message.qos > 0:
                client.ack(message.mid, message.qos)
        self.health.delivered(0, 0, len(letters))

    def _rebirth(self, client: mqtt.Client, rebirth: Rebirth | None) -> None:
        if rebirth is None:
            return
        if not rebirth.allowed:
            log.info("source %s: edge node %s/%s needs a rebirth (%s); not requested "
                     "(sparkplug.request_rebirth is off)", self.source.id, rebirth.group,
                     rebirth.node, rebirth.reason)  # fmt: skip
            return
        log.info("source %s: asking edge node %s/%s for a rebirth: %s", self.source.id,
                 rebirth.group, rebirth.node, rebirth.reason)  # fmt: skip
        client.publish(*rebirth_request(rebirth.group, rebirth.node, time.time_ns()), qos=0)
        self.rebirths_requested += 1

    def _readings(self, topic: str, payload: bytes, received_ns: int) -> tuple[str, list[Reading]]:
        route = self._known_topics.get(topic)
        if route is None:
            route = self._route(topic)
            if len(self._known_topics) < KNOWN_TOPICS:
                self._known_topics[topic] = route
        machine, reader, signal = route
        return machine, reader(payload, signal, received_ns)

    def _route(self, topic: str) -> tuple[str, PayloadReader, str | None]:
        """The machine, payload reader and signal a topic is read with (PayloadError: none)."""
        for template, reader in self.routes:
            fields = template.match(topic)
            if fields is not None:
                return self._machine(fields), reader, fields.get("signal")
        raise PayloadError("the topic matches none of the subscriptions")

    def _machine(self, fields: dict[str, str]) -> str:
        machine = fields["machine"]
        place = self.places.get(machine)
        if place is None:
            raise PayloadError(f"no machine {machine!r} reads from source {self.source.id!r}")
        for level in ("site", "area", "line"):
            if level in fields and fields[level] != getattr(place, level):
                raise PayloadError(
                    f"the topic says {level} {fields[level]!r}, plant.yaml puts {machine} in "
                    f"{getattr(place, level)!r}"
                )
        return machine


def _reader(subscription: Subscription) -> PayloadReader:
    """How a plain subscription's payloads are read."""
    if subscription.parser == "value":
        return _bare_value
    assert subscription.json_paths is not None
    return json_reader(subscription.json_paths)


def _bare_value(payload: bytes, signal: str | None, received_ns: int) -> list[Reading]:
    assert signal is not None  # the plant checks that a value topic names its signal
    return parse_value(payload, signal, received_ns)


def build(source: MqttSource, context: ConnectorContext) -> MqttConnector:
    """The :data:`~smkit.connectors.contract.ConnectorFactory` of ``kind: mqtt``."""
    return MqttConnector(
        source, context.plant, context.sink, context.unreadable, password=context.password,
        births=context.keep_path(source.id, ".sparkplug.json"),
    )  # fmt: skip


async def _drained(queue: asyncio.Queue[Received], consumer: asyncio.Task[None]) -> None:
    """Until the consumer has handled everything queued, or has ended (cancelled with this
    connector: then nothing is left to wait for)."""
    joined = asyncio.ensure_future(queue.join())
    await asyncio.wait([joined, consumer], return_when=asyncio.FIRST_COMPLETED)
    joined.cancel()
