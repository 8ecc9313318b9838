"""smkit as a Sparkplug B 3.0 primary host application: its STATE on the broker.

Edge nodes configured with a primary host id publish their births and data only while that host
says it is online, and many keep what they observe meanwhile and send it as historical data
when it is back (store and forward). The host announces itself on ``spBv1.0/STATE/<host id>``,
retained, at QoS 1, as JSON ``{"online": bool, "timestamp": ms}``:

* before connecting, the MQTT will: ``online: false`` with this session's timestamp, which the
  broker publishes if the collector dies or loses its connection;
* once connected and subscribed (to the data and to its own STATE topic): ``online: true`` with
  that same timestamp;
* before a planned disconnect: ``online: false`` again (a clean disconnect discards the will),
  then ``STATE_GRACE_S`` more of reading;
* an ``online: false`` on its own topic while it is connected (a will of an older session that
  the broker delivered late, or another client) is answered with ``online: true`` again; its
  own goodbye, which it hears too, is not.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt

STATE_PREFIX = "spBv1.0/STATE/"
STATE_GRACE_S = 1.0
"""After saying offline before a planned stop, the host goes on reading this long: edge nodes
stop publishing when they hear it, and what they sent before that is still stored."""


@dataclass
class PrimaryHost:
    """The STATE messages of one host id, for the current MQTT session."""

    host_id: str
    timestamp_ms: int = field(default=0)
    leaving: bool = field(default=False)

    @property
    def topic(self) -> str:
        """Where the host's STATE is retained."""
        return STATE_PREFIX + self.host_id

    def new_session(self, client: mqtt.Client) -> None:
        """Before connecting: stamp the session now, and make its STATE death the will."""
        self.timestamp_ms = time.time_ns() // 1_000_000
        self.leaving = False
        client.will_set(self.topic, self.offline(), qos=1, retain=True)

    def announce(self, client: mqtt.Client) -> None:
        """Once connected and subscribed to the data: listen to its own STATE, say online."""
        client.subscribe(self.topic, qos=1)
        client.publish(self.topic, self.online(), qos=1, retain=True)

    def answer(self, client: mqtt.Client, topic: str, payload: bytes) -> None:
        """Say online again when a message on its topic says otherwise."""
        if self.contradicted_by(topic, payload):
            client.publish(self.topic, self.online(), qos=1, retain=True)

    async def say_offline(self, client: mqtt.Client, timeout_s: float = 3.0) -> None:
        """The STATE death before a planned disconnect (which discards the will), waited for
        at most ``timeout_s`` (the broker may be what is gone)."""
        self.leaving = True
        sent = client.publish(self.topic, self.offline(), qos=1, retain=True)
        deadline = time.monotonic() + timeout_s
        while not sent.is_published() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def online(self) -> bytes:
        """The STATE birth of this session."""
        return _state(online=True, timestamp_ms=self.timestamp_ms)

    def offline(self) -> bytes:
        """The STATE death of this session (the will, or sent before a planned disconnect)."""
        return _state(online=False, timestamp_ms=self.timestamp_ms)

    def contradicted_by(self, topic: str, payload: bytes) -> bool:
        """Whether a message says this host is offline while it is connected (then it must
        say online again): not its own goodbye (this session's stamp), and not once it is
        leaving. Anything unreadable on the topic is answered the same way."""
        if topic != self.topic or self.leaving:
            return False
        try:
            state = json.loads(payload)
        except ValueError:
            return True
        if not isinstance(state, dict):
            return True
        return state.get("online") is not True and state.get("timestamp") != self.timestamp_ms


def _state(*, online: bool, timestamp_ms: int) -> bytes:
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()
