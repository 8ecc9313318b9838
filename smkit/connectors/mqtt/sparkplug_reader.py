"""Sparkplug B subscriptions of one MQTT source: from topics and payloads to machines' readings.

A subscription's template (``spBv1.0/{site}/+/{line}/{machine}``) says which edge nodes and
devices are machines of the plant. The :class:`SparkplugHost` follows every node's births,
aliases and sequence; this module turns what it reports into readings of plant.yaml signals:
metric values of a machine's signals (metrics that are not signals of the machine, such as
``Node Control/*`` or properties a gateway adds, are skipped), and a bad reading without a
value for each signal of a machine whose node or device died.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from smkit.connectors.mqtt.parsers import Reading
from smkit.connectors.mqtt.sparkplug_host import SparkplugHost
from smkit.connectors.mqtt.sparkplug_state import MetricValue, SparkplugTopic
from smkit.connectors.mqtt.sparkplug_values import PlainValues
from smkit.connectors.mqtt.topics import KNOWN_TOPICS, TopicTemplate
from smkit.core.sample import Quality
from smkit.core.timeunits import NS_PER_MS
from smkit.errors import PayloadError
from smkit.plant.mqtt import Subscription
from smkit.protocols.sparkplug import REBIRTH, DataType, Metric, Payload, decode, encode
from smkit.protocols.sparkplug.plain import read_plain

log = logging.getLogger("smkit.mqtt")
Waiting = tuple[str, str, str | None]
"""(group, edge node, device or None) whose DATA waits for its birth."""
PlaceCheck = Callable[[dict[str, str]], str]
"""The machine id a topic's fields name, checked against plant.yaml (PayloadError if not)."""


@dataclass(frozen=True)
class Rebirth:
    """A rebirth that is due: which node, why, and whether this subscription may ask for it."""

    group: str
    node: str
    reason: str
    allowed: bool


@dataclass
class SparkplugRead:
    """The readings one message gives, per machine, and what is wrong with it."""

    readings: list[tuple[str, Reading]] = field(default_factory=list)
    plain: tuple[str, PlainValues] | None = None
    """Plain DATA's values of signals of a machine, as columns (then ``readings`` is empty)."""
    problems: list[str] = field(default_factory=list)
    rebirth: Rebirth | None = None
    parked: Waiting | None = None
    """Where the message waits for its birth (DATA no birth defines yet)."""
    replayed: list[Waiting] = field(default_factory=list)
    """Whose parked messages this one's readings include (a birth)."""


class SparkplugReader:
    """Sparkplug B host state and machine mapping for the Sparkplug subscriptions of a source."""

    def __init__(
        self,
        subscriptions: Iterable[Subscription],
        machine_of: PlaceCheck,
        signals: dict[str, set[str]],
    ) -> None:
        self.routes = [(TopicTemplate(s.topic), s) for s in subscriptions]
        self._node_routes = [
            (TopicTemplate("/".join(template.template.split("/")[:4])), subscription)
            for template, subscription in self.routes
        ]  # the edge-node part of each template, for node-level messages
        timeout_s = min(s.sparkplug.reorder_timeout for _, s in self.routes)
        self.host = SparkplugHost(round(timeout_s * 1e9))
        self.machine_of = machine_of
        self.signals = signals
        self._skipped: set[tuple[str, str]] = set()
        self._topics: dict[str, tuple[SparkplugTopic, Subscription]] = {}
        """Each topic read, its parts and subscription (parsed and matched once)."""
        self._machines: dict[tuple[str, str, str | None], str] = {}
        """The machine each edge node or device that sent plain DATA is, once found."""

    @property
    def filters(self) -> list[str]:
        """The MQTT filters to subscribe with: node-level messages and the devices under them."""
        out = []
        for template, _ in self.routes:
            levels = template.filter.split("/")
            out.append("/".join([*levels[:4], "#"]) if len(levels) == 5 else template.filter)
        return out

    def covers(self, topic: str) -> bool:
        """Whether a topic is in the Sparkplug namespace (and so read here)."""
        return topic.startswith("spBv1.0/") and bool(self.routes)

    def read(self, topic: str, data: bytes, received_ns: int) -> SparkplugRead:
        """Apply one message to the host state; the readings and problems it gives."""
        known = self._topics.get(topic) or self._topic(topic)
        if known is None:
            return SparkplugRead()  # a host's STATE: nothing for us
        parts, route = known
        if parts.kind in ("NDATA", "DDATA"):
            plain = read_plain(data)
            values = None if plain is None else self.host.receive_plain(parts, plain, received_ns)
            if values is not None:
                return self._plain_read(parts, values)
        outcome = self.host.receive(parts, decode(data), received_ns)
        read = SparkplugRead(problems=list(outcome.problems))
        if outcome.parked:
            read.parked = (parts.group, parts.node, parts.device)
        read.replayed = [(parts.group, parts.node, device) for device in outcome.replayed]
        if outcome.rebirth is not None:
            allowed = route.sparkplug.request_rebirth
            read.rebirth = Rebirth(parts.group, parts.node, outcome.rebirth, allowed)
        if outcome.values:
            machine = self._machine(parts.group, parts.node, parts.device, strict=True)
            if machine is not None:
                self._signal_readings(machine, outcome.values, read)
        for device, ts in outcome.stale:
            machine = self._machine(parts.group, parts.node, device, strict=False)
            if machine is not None:
                for signal in sorted(self.signals.get(machine, ())):
                    read.readings.append((machine, Reading(signal, ts, None, Quality.BAD)))
        return read

    def _topic(self, topic: str) -> tuple[SparkplugTopic, Subscription] | None:
        """A topic's parts and subscription (None: a host's STATE), remembered."""
        parts = SparkplugTopic.parse(topic)
        if parts is None:
            return None
        route = self._route(parts)
        if route is None:
            raise PayloadError("the topic matches none of the sparkplug_b subscriptions")
        if len(self._topics) < KNOWN_TOPICS:
            self._topics[topic] = parts, route
        return parts, route

    def expired(self, now_ns: int) -> list[Waiting]:
        """Parked messages given up: no birth came for them in time."""
        return self.host.expired(now_ns)

    def overdue(self, now_ns: int) -> list[Rebirth]:
        """Nodes whose missing seq numbers did not arrive within the reorder timeout."""
        due = []
        for group, node, reason in self.host.overdue(now_ns):
            route = self._route(SparkplugTopic(group, "NDATA", node))
            allowed = route is not None and route.sparkplug.request_rebirth
            due.append(Rebirth(group, node, reason, allowed))
        return due

    def _route(self, parts: SparkplugTopic) -> Subscription | None:
        node_topic = f"spBv1.0/{parts.group}/{parts.kind}/{parts.node}"
        for prefix, subscription in self._node_routes:
            if prefix.match(node_topic) is not None:
                return subscription
        return None

    def _machine(self, group: str, node: str, device: str | None, *, strict: bool) -> str | None:
        """The machine an edge node or device is, None if it is none (PayloadError if strict
        and the topic names a machine plant.yaml does not give this source)."""
        topic = f"spBv1.0/{group}/DATA/{node}" + ("" if device is None else f"/{device}")
        for template, _ in self.routes:
            fields = template.match(topic)
            if fields is None:
                continue
            try:
                return self.machine_of(fields)
            except PayloadError:
                if strict:
                    raise
                return None
        return None

    def _plain_read(self, parts: SparkplugTopic, values: PlainValues) -> SparkplugRead:
        """Plain DATA's values of the machine's signals, as columns."""
        place = (parts.group, parts.node, parts.device)
        machine = self._machines.get(place)
        if machine is None:
            machine = self._machine(*place, strict=True)
            if machine is None:
                return SparkplugRead()
            self._machines[place] = machine
        signals = self.signals.get(machine, set())
        if not signals.issuperset(values.names):
            kept = [i for i, name in enumerate(values.names) if self._is_signal(machine, name)]
            names, stamps, scalars = values
            values = PlainValues([names[i] for i in kept], [stamps[i] for i in kept],
                                 [scalars[i] for i in kept])  # fmt: skip
        return SparkplugRead(plain=(machine, values))

    def _is_signal(self, machine: str, name: str) -> bool:
        """Whether a metric is a signal of the machine (the first time one is not, say so)."""
        if name in self.signals.get(machine, ()):
            return True
        if (machine, name) not in self._skipped:
            self._skipped.add((machine, name))
            log.info("machine %s: metric %r is not a signal in plant.yaml; skipped", machine, name)
        return False

    def _signal_readings(
        self, machine: str, values: list[MetricValue], read: SparkplugRead
    ) -> None:
        for value in values:
            name = value.name
            if not self._is_signal(machine, name):
                continue
            if isinstance(value.value, bytes):
                read.problems.append(f"{name}: a bytes value cannot be stored")
            else:
                read.readings.append((machine, Reading(name, value.ts, value.value, value.quality)))


def rebirth_request(group: str, node: str, now_ns: int) -> tuple[str, bytes]:
    """The NCMD asking an edge node to publish its births again: topic and payload."""
    metric = Metric(name=REBIRTH, datatype=DataType.BOOLEAN, value=True)
    payload = Payload(timestamp=now_ns // NS_PER_MS, metrics=[metric])
    return f"spBv1.0/{group}/NCMD/{node}", encode(payload)
