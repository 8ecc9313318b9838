"""What the simulated machines publish over MQTT: topics and payloads (no I/O).

Three plain formats, as gateways and PLCs publish them:

* ``json`` — one message per signal value on ``{site}/{area}/{line}/{machine}/{signal}`` (or the
  signal's own topic in plant.yaml when its machine is read over MQTT):
  ``{"value": 81.5, "ts": 1764050400123}``, ``ts`` in milliseconds since the epoch (UTC).
* ``document`` — one message per machine and instant on ``{site}/{area}/{line}/{machine}``:
  ``{"ts": 1764050400123, "values": {"spindle_speed": 8000.0, "parts": 412}}``.
* ``flat`` — a document with the values at its top level, beside the timestamp, as many
  gateways publish it: ``{"ts": 1764050400123, "spindle_speed": 8000.0, "parts": 412}``.
* ``value`` — the bare value on the signal's topic (``81.5``, ``true``, ``ALARM``), no timestamp.

Sparkplug B lives in :mod:`smkit.simulators.sparkplug_edge`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby

from smkit.core.sample import Value
from smkit.plant.model import Plant
from smkit.simulators.signals import SignalValue

PLAIN_FORMATS = ("json", "document", "flat", "value")
FORMATS = (*PLAIN_FORMATS, "sparkplug")
NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class Message:
    """One MQTT message and the signal values it carries."""

    topic: str
    payload: bytes
    values: tuple[SignalValue, ...]


class Topics:
    """The topic of every machine signal and of every machine's document."""

    def __init__(self, plant: Plant) -> None:
        mqtt_sources = {source.id for source in plant.sources if source.kind == "mqtt"}
        self.signal: dict[tuple[str, str], str] = {}
        self.machine: dict[str, str] = {}
        for place, machine in plant.machines():
            base = f"{place.site}/{place.area}/{place.line}/{machine.id}"
            self.machine[machine.id] = base
            fields = {**place.model_dump(), "machine": machine.id}
            for signal in machine.signals:
                own = signal.address_for(fields) if machine.source in mqtt_sources else None
                self.signal[(machine.id, signal.name)] = own or f"{base}/{signal.name}"


def plain_messages(fmt: str, values: Sequence[SignalValue], topics: Topics) -> Iterator[Message]:
    """The messages of one batch of values in a plain format, in time order."""
    if fmt in ("document", "flat"):
        for (machine, ts), group in groupby(values, key=lambda v: (v.machine, v.ts)):
            items = tuple(group)
            named = {v.signal: v.value for v in items}
            document = {"ts": ts // NS_PER_MS}
            document.update({"values": named} if fmt == "document" else named)
            yield Message(topics.machine[machine], _json(document), items)
        return
    for value in values:
        topic = topics.signal[(value.machine, value.signal)]
        if fmt == "json":
            payload = _json({"value": value.value, "ts": value.ts // NS_PER_MS})
        else:
            payload = plain_text(value.value).encode()
        yield Message(topic, payload, (value,))


def plain_text(value: Value) -> str:
    """A value as a bare payload: JSON's spelling for numbers and booleans, strings as they are."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def malformed(kind: int, message: Message) -> bytes:
    """A broken variant of a payload, of one of several kinds a real broker sees."""
    kinds: list[bytes] = [
        message.payload[: max(1, len(message.payload) // 2)],  # cut off in transit
        b"\xff\xfe\x00garbage",  # not UTF-8, not protobuf
        b"",  # empty
        b'{"value": [1, 2], "ts": "yesterday"}',  # well-formed JSON of the wrong shape
    ]
    return kinds[kind % len(kinds)]


def _json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
