"""A plain paho subscriber that records every message it gets, for checking publishers."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


class Recorder:
    """Subscribes to ``topic_filter`` at QoS 1 and keeps (topic, payload) in arrival order."""

    def __init__(self, url: str, topic_filter: str, *, persistent: bool = False) -> None:
        """``persistent``: a session the broker keeps (and queues QoS 1 for) while away."""
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 1883)
        self.topic_filter = topic_filter
        self.messages: list[tuple[str, bytes]] = []
        self._subscribed = threading.Event()
        self._session: Properties | None = None
        if persistent:
            self._session = Properties(PacketTypes.CONNECT)
            self._session.SessionExpiryInterval = 3600
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
            client_id=f"recorder-{id(self)}" if persistent else "",
        )  # fmt: skip
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *args: self._subscribed.clear()
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)

    def __enter__(self) -> Recorder:
        self.client.connect(*self.address, clean_start=self._session is None,
                            properties=self._session)  # fmt: skip
        self.client.loop_start()
        assert self._subscribed.wait(10), "the recorder could not subscribe"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_subscribed(self, timeout_s: float = 30.0) -> None:
        """Wait until (re)subscribed, e.g. after the broker restarted."""
        assert self._subscribed.wait(timeout_s), "the recorder could not subscribe again"

    def publish(self, topic: str, payload: bytes, qos: int = 1, *, wait: bool = True) -> None:
        """Publish; ``wait``: until the broker has it (a burst need not wait message by message)."""
        info = self.client.publish(topic, payload, qos=qos)
        if wait:
            info.wait_for_publish(10)

    def settle(self, quiet_s: float = 0.5, limit_s: float = 60.0) -> list[tuple[str, bytes]]:
        """Wait until nothing new arrived for ``quiet_s``; return what was recorded."""
        deadline = time.monotonic() + limit_s
        count = -1
        while count != len(self.messages) and time.monotonic() < deadline:
            count = len(self.messages)
            time.sleep(quiet_s)
        return list(self.messages)

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(self.topic_filter, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.append((message.topic, bytes(message.payload)))
