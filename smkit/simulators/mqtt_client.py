"""A publishing MQTT 5 session (paho-mqtt 2.x) driven from asyncio.

paho runs its network loop in its own thread; callbacks only count acknowledgements or pass
commands on. Publishing waits when too many messages are unacknowledged, so a fast simulation
cannot pile up an unbounded queue in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from smkit.errors import SmkitError

CONNECT_TIMEOUT_S = 10.0
MAX_UNACKNOWLEDGED = 2000
# paho scans its in-flight messages on every PUBACK, so a large window costs more than it
# saves: 50 in flight with 2,000 queued doubles QoS 1 throughput over 1,000 in flight here
# (benchmarks/simulator_serving.py).
MAX_IN_FLIGHT = 50


class BrokerError(SmkitError):
    """The broker cannot be reached or refused the connection."""


@dataclass(frozen=True)
class BrokerSettings:
    """``mqtt://host:port`` and optional credentials."""

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = None

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
        self._will: tuple[str, bytes] | None = None
        self._sent = 0
        self._acked = 0
        self._connected: asyncio.Future[ReasonCode] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribe: str | None = None
        self._handler: Callable[[bytes], None] | None = None

    def _new_client(self) -> mqtt.Client:
        """A fresh paho client for each session (paho leaks its wake-up sockets on restart)."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5
        )
        client.max_inflight_messages_set(MAX_IN_FLIGHT)
        if self.settings.username is not None:
            client.username_pw_set(self.settings.username, self.settings.password)
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def set_will(self, topic: str, payload: bytes) -> None:
        """The message the broker publishes if the next session ends without a clean goodbye."""
        self._will = (topic, payload)

    async def connect(
        self, subscribe: str | None = None, on_message: Callable[[bytes], None] | None = None
    ) -> None:
        """Open a clean session; subscribe (QoS 1) before returning when asked."""
        try:
            host, port = self.settings.host_port
        except ValueError as exc:
            raise BrokerError(f"broker URL {exc}") from None
        self._loop = asyncio.get_running_loop()
        self._connected = self._loop.create_future()
        self._subscribe, self._handler = subscribe, on_message
        self.client = self._new_client()
        if self._will is not None:
            self.client.will_set(*self._will, qos=1, retain=False)
        try:
            await self._loop.run_in_executor(
                None, lambda: self.client.connect(host, port, keepalive=30, clean_start=True)
            )
        except (TimeoutError, OSError) as exc:
            raise BrokerError(
                f"cannot reach the MQTT broker at {self.settings.url}: {exc}"
            ) from None
        self.client.loop_start()
        try:
            reason = await asyncio.wait_for(self._connected, CONNECT_TIMEOUT_S)
        except TimeoutError:
            self.client.loop_stop()
            raise BrokerError(f"no answer from the MQTT broker at {self.settings.url}") from None
        if reason.is_failure:
            self.client.loop_stop()
            raise BrokerError(f"the MQTT broker at {self.settings.url} refused us: {reason}")

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Hand a message to paho (it resends QoS 1 messages after a reconnect)."""
        self._sent += 1
        self.client.publish(topic, payload, qos=qos, retain=retain)

    async def backpressure(self) -> None:
        """Wait while too many messages are still unacknowledged."""
        while self._sent - self._acked > MAX_UNACKNOWLEDGED:
            await asyncio.sleep(0.002)

    async def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until the broker acknowledged everything; False on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._acked < self._sent:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def drop_with_will(self) -> None:
        """End the session so that the broker publishes our will (MQTT 5 reason code 4)."""
        await self.drain()
        reason = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        self.client.disconnect(reasoncode=reason)
        await asyncio.get_running_loop().run_in_executor(None, self.client.loop_stop)

    async def close(self) -> None:
        """Wait for acknowledgements, then disconnect cleanly (no will)."""
        await self.drain()
        self.client.disconnect()
        await asyncio.get_running_loop().run_in_executor(None, self.client.loop_stop)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        if self._subscribe is not None and not reason.is_failure:
            client.subscribe(self._subscribe, qos=1)
        if self._loop is not None and self._connected is not None:
            future = self._connected
            self._loop.call_soon_threadsafe(
                lambda: None if future.done() else future.set_result(reason)
            )

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        self._acked += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._handler is not None:
            self._handler(bytes(message.payload))
