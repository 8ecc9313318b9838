"""``smkit mqtt sniff``: show what arrives on a broker, decoded, to help write the mapping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from smkit.errors import PayloadError, SmkitError
from smkit.protocols.mqtt_loop import BufferedClient, LoopAttachment
from smkit.protocols.sparkplug import NAMESPACE, decode

SHOWN_BYTES = 200


def describe(topic: str, payload: bytes) -> str:
    """A payload as a person reads it: Sparkplug metrics, compact JSON, text, or hex."""
    if topic.startswith(NAMESPACE + "/") and "/STATE/" not in topic:
        try:
            decoded = decode(payload)
        except PayloadError as error:
            return f"(not Sparkplug B: {error})"
        metrics = ", ".join(
            f"{m.name or '#' + str(m.alias)}={m.value!r}"
            + (f" ({m.datatype.name.lower()})" if m.datatype is not None else "")
            for m in decoded.metrics
        )
        return f"seq={decoded.seq} ts={decoded.timestamp} {metrics}"
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        return f"(binary, {len(payload)} bytes) {payload[: SHOWN_BYTES // 4].hex()}"
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)[:SHOWN_BYTES]
    except ValueError:
        return text[:SHOWN_BYTES] if text else "(empty)"


async def sniff(
    url: str,
    topic_filter: str,
    show: Callable[[str], None],
    *,
    count: int | None = None,
    seconds: float | None = None,
    credentials: tuple[str, str | None] | None = None,
) -> int:
    """Print messages until ``count`` arrived or ``seconds`` passed; returns how many."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise SmkitError(f"broker URL must look like mqtt://host:port, got {url!r}")
    client = BufferedClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if credentials is not None:
        client.username_pw_set(*credentials)
    if parts.scheme == "mqtts":
        client.tls_set()
    LoopAttachment(client)
    done = asyncio.get_running_loop().create_future()
    seen = 0

    def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        nonlocal seen
        if count is not None and seen >= count:
            return  # more may arrive in the same read; only the first ``count`` are shown
        seen += 1
        flags = " retained" if message.retain else ""
        shown = describe(message.topic, bytes(message.payload))
        show(f"{message.topic}  qos{message.qos}{flags}  {shown}")
        if count is not None and seen >= count and not done.done():
            done.set_result(None)

    client.on_connect = lambda c, u, f, reason, p: c.subscribe(topic_filter, qos=1)
    client.on_message = on_message
    try:
        client.connect(parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883))
    except OSError as error:
        raise SmkitError(f"cannot reach the MQTT broker at {url}: {error}") from None
    try:
        await asyncio.wait_for(done, seconds)
    except TimeoutError:
        pass
    finally:
        client.disconnect()
    return seen
