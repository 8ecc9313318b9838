"""A publishing MQTT 5 session (paho-mqtt 2.x) run on the asyncio event loop.

paho runs on the event loop (:mod:`smkit.protocols.mqtt_loop`), which publishes 1.2-1.6 times
faster here than paho's own thread (benchmarks/simulator_serving.py) and keeps every callback
in one thread.
Publishing waits when too many messages are unacknowledged, so a fast simulation cannot pile up
an unbounded queue in memory. A session the broker drops is reopened with backoff, and the
owner hears of it (a Sparkplug node must then announce itself again).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from smkit.core.backoff import Backoff
from smkit.errors import SmkitError
from smkit.protocols.mqtt_loop import BufferedClient, LoopAttachment

CONNECT_TIMEOUT_S = 10.0
MAX_UNACKNOWLEDGED = 2000
# paho scans its in-flight messages on every PUBACK, so a large window costs more than it
# saves: 50 in flight with 2,000 queued doubles QoS 1 throughput over 1,000 in flight here
# (benchmarks/simulator_serving.py).
MAX_IN_FLIGHT = 50
READ_MARKER_TOPIC = "smkit/simulator/read-marker"
"""Never subscribed to: unsubscribing from it asks the broker for an answer, nothing else."""


class BrokerError(SmkitError):
    """The broker cannot be reached or refused the connection."""


@dataclass(frozen=True)
class BrokerSettings:
    """``mqtt://host:port`` and optional credentials."""

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = None
    protocol: str = "5"
    """"5", or "3.1.1" for brokers without MQTT 5 (session drops with a will need 5)."""

    @property
    def host_port(self) -> tuple[str, int]:
        """The broker's host and port (1883 unless given)."""
        parts = urlsplit(self.url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ValueError(f"must look like mqtt://host:port, got {self.url!r}")
        return parts.hostname, parts.port or 1883


class BrokerConnection:
    """One client session that publishes, counting what the broker has acknowledged."""

    def __init__(self, settings: BrokerSettings, client_id: str) -> None:
        self.settings = settings
        self.client_id = client_id
        self.client = self._new_client()
        self.before_reopen: Callable[[], None] | None = None
        self.after_reopen: Callable[[], Awaitable[None]] | None = None
        self._ever_connected = False
        self._sent = 0
        self._acked = 0
        self._connected: asyncio.Future[ReasonCode] | None = None
        self._subscribe: str | None = None
        self._handler: Callable[[bytes], None] | None = None
        self._closing = False
        self._reconnect: asyncio.Task[None] | None = None
        self._unsubscribed: dict[int, asyncio.Future[None]] = {}

    def set_will(self, topic: str, payload: bytes) -> None:
        """The message the broker publishes if the next session ends without a clean goodbye."""
        self.client.will_set(topic, payload, qos=1, retain=False)

    async def connect(
        self, subscribe: str | None = None, on_message: Callable[[bytes], None] | None = None
    ) -> None:
        """Open a clean session; subscribe (QoS 1) before returning when asked."""
        try:
            host, port = self.settings.host_port
        except ValueError as exc:
            raise BrokerError(f"broker URL {exc}") from None
        self._subscribe, self._handler = subscribe, on_message
        self._closing = False
        self._connected = asyncio.get_running_loop().create_future()
        try:
            if self._ever_connected:
                self.client.reconnect()  # keeps paho's queue: unacknowledged QoS 1 goes again
            else:
                clean = True if self._v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY
                self.client.connect(host, port, keepalive=30, clean_start=clean)
        except (TimeoutError, OSError) as exc:
            raise BrokerError(
                f"cannot reach the MQTT broker at {self.settings.url}: {exc}"
            ) from None
        try:
            reason = await asyncio.wait_for(self._connected, CONNECT_TIMEOUT_S)
        except TimeoutError:
            self.client.disconnect()
            raise BrokerError(f"no answer from the MQTT broker at {self.settings.url}") from None
        if reason.is_failure:
            raise BrokerError(f"the MQTT broker at {self.settings.url} refused us: {reason}")
        self._ever_connected = True

    async def connect_when_up(
        self, subscribe: str | None = None, on_message: Callable[[bytes], None] | None = None
    ) -> None:
        """:meth:`connect`, tried again with backoff while the broker cannot be reached: a
        session dropped on purpose comes back whenever the broker does (it may be restarting
        just then)."""
        backoff = Backoff(initial_s=0.5, max_s=10.0)
        while True:
            try:
                await self.connect(subscribe, on_message)
                return
            except BrokerError:
                await asyncio.sleep(backoff.next_delay())

    @property
    def connected(self) -> bool:
        """Whether the session is open (paho queues QoS 1 meanwhile, but drops QoS 0)."""
        return bool(self.client.is_connected())

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Hand a message to paho (it resends unacknowledged QoS 1 messages after a reconnect)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos > 0 or info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._sent += 1  # a QoS 0 message paho could not send is gone: nothing to wait for

    async def backpressure(self) -> None:
        """Wait while too many messages are still unacknowledged."""
        while self._sent - self._acked > MAX_UNACKNOWLEDGED:
            await asyncio.sleep(0.001)

    async def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until the broker acknowledged everything; False on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._acked < self._sent:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    @property
    def _v5(self) -> bool:
        return self.settings.protocol == "5"

    async def read_by_broker(self, timeout_s: float = 10.0) -> None:
        """Wait until the broker has read everything sent so far. Written to the socket is not
        enough before a disconnect: a socket closed with unread data in it is reset, and a
        reset can take with it what a loaded broker had not read yet (QoS 0 values, unlike
        QoS 1, are not sent again). The broker answers an UNSUBSCRIBE only after the packets
        sent before it, and one of a topic never subscribed to changes nothing."""
        _, mid = self.client.unsubscribe(READ_MARKER_TOPIC)
        if mid is None:
            return  # not connected: nothing sent can still be read
        answered = self._unsubscribed[mid] = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(answered, timeout_s)
        self._unsubscribed.pop(mid, None)

    async def drop_with_will(self) -> None:
        """End the session so that the broker publishes our will (MQTT 5 reason code 4)."""
        if not self._v5:
            raise BrokerError("dropping a session with its will needs MQTT 5")
        await self.drain()
        await self.read_by_broker()
        self._closing = True
        reason = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        self.client.disconnect(reasoncode=reason)

    async def close(self) -> None:
        """Wait for acknowledgements, then disconnect cleanly (no will)."""
        await self.drain()
        if self.connected:
            await self.read_by_broker()
        self._closing = True
        if self._reconnect is not None:
            self._reconnect.cancel()
        self.client.disconnect()

    def _new_client(self) -> mqtt.Client:
        client = BufferedClient(
            CallbackAPIVersion.VERSION2, client_id=self.client_id,
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
        )  # fmt: skip
        client.max_inflight_messages_set(MAX_IN_FLIGHT)
        client.connect_timeout = CONNECT_TIMEOUT_S
        if self.settings.username is not None:
            client.username_pw_set(self.settings.username, self.settings.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_unsubscribe = self._on_unsubscribe
        client.on_message = self._on_message
        LoopAttachment(client)
        return client

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        if self._subscribe is not None and not reason.is_failure:
            client.subscribe(self._subscribe, qos=1)
        if self._connected is not None and not self._connected.done():
            self._connected.set_result(reason)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                       properties: Any) -> None:  # fmt: skip
        if not self._closing and self._reconnect is None:
            self._reconnect = asyncio.get_running_loop().create_task(self._reopen())

    async def _reopen(self) -> None:
        """The broker went away: reopen the session with backoff, then tell the owner."""
        backoff = Backoff(initial_s=0.5, max_s=10.0)
        while not self._closing:
            await asyncio.sleep(backoff.next_delay())
            if self.before_reopen is not None:
                self.before_reopen()
            try:
                await self.connect(self._subscribe, self._handler)
            except BrokerError:
                continue
            self._reconnect = None
            if self.after_reopen is not None:
                await self.after_reopen()
            return

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        self._acked += 1

    def _on_unsubscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any,
                        properties: Any) -> None:  # fmt: skip
        answered = self._unsubscribed.pop(mid, None)
        if answered is not None and not answered.done():
            answered.set_result(None)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._handler is not None:
            self._handler(bytes(message.payload))
