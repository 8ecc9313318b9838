"""The state a Sparkplug B host keeps, and what it reports: topics, metric values, the outcome
of a message, each edge node's births, sequence and parked DATA (no rules here: those are in
:mod:`smkit.connectors.mqtt.sparkplug_host`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from smkit.core.sample import Quality
from smkit.errors import PayloadError
from smkit.protocols.sparkplug.model import NAMESPACE, DataType, Payload, Scalar

KINDS = {"NBIRTH", "NDEATH", "NDATA", "NCMD", "DBIRTH", "DDEATH", "DDATA", "DCMD"}
_DEVICE_KINDS = {"DBIRTH", "DDEATH", "DDATA", "DCMD"}
PARK_NS = 60 * 10**9
"""How long DATA waits for the birth that defines it before it is given up (dead-lettered)."""
PARK_LIMIT = 10_000
"""DATA messages parked at most (over all nodes); beyond, they are refused at once."""


@dataclass(frozen=True)
class SparkplugTopic:
    """``spBv1.0/<group>/<kind>/<edge node>[/<device>]``."""

    group: str
    kind: str
    node: str
    device: str | None = None

    @classmethod
    def parse(cls, topic: str) -> SparkplugTopic | None:
        """The parts of a Sparkplug topic; None for a host's STATE; PayloadError if malformed."""
        levels = topic.split("/")
        if levels[0] != NAMESPACE or len(levels) < 3:
            raise PayloadError(f"{topic!r} is not a Sparkplug B topic")
        if levels[1] == "STATE":
            return None
        kind = levels[2]
        if kind not in KINDS:
            raise PayloadError(f"{kind!r} is not a Sparkplug message type")
        size = 5 if kind in _DEVICE_KINDS else 4
        if len(levels) != size or not all(levels[1:]):
            form = "spBv1.0/group/KIND/node" + ("/device" if size == 5 else "")
            raise PayloadError(f"a {kind} topic has the form {form}")
        return cls(levels[1], kind, levels[3], levels[4] if size == 5 else None)


class MetricValue(NamedTuple):
    """A metric's value as a birth defines it: name, time (ns), value and quality."""

    name: str
    ts: int
    value: Scalar
    quality: Quality = Quality.GOOD


@dataclass
class Outcome:
    """What one message means for the host.

    ``values`` belong to the topic's node or device. ``stale`` lists the devices (None: the
    node's own metrics) whose metrics became stale, with the time. ``problems`` are reasons to
    dead-letter (part of) the message; ``rebirth`` is why a rebirth of the node is due.
    """

    values: list[MetricValue] = field(default_factory=list)
    stale: list[tuple[str | None, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rebirth: str | None = None
    parked: bool = False
    """The message is DATA waiting for the birth that defines it (see :class:`SparkplugHost`)."""
    replayed: list[str | None] = field(default_factory=list)
    """Devices (None: the node itself) whose parked DATA this birth's values include."""


@dataclass
class Definitions:
    """The metrics one birth declared: names behind aliases and their datatypes."""

    names: dict[int, str] = field(default_factory=dict)
    datatypes: dict[str, DataType | None] = field(default_factory=dict)


@dataclass
class NodeState:
    bd_seq: int | None = None
    online: bool = False
    expected_seq: int | None = 0
    """None: restored from saved births, the next seq is taken as it comes."""
    missing: dict[int, int] = field(default_factory=dict)  # seq -> reorder deadline (ns)
    own: Definitions | None = None
    devices: dict[str, Definitions] = field(default_factory=dict)
    stale_since: dict[str | None, int] = field(default_factory=dict)
    clock: tuple[int, int] | None = None  # (payload time, arrival time) of the last message
    latest_ns: int = 0  # the latest time any of its messages or values carried
    rebirth_asked_ns: int | None = None
    last: dict[tuple[str | None, str], tuple[int, Scalar]] = field(default_factory=dict)
    """The newest good value of each (device, metric), with its time (ns): what held through
    a death."""
    unlifted: dict[str | None, dict[str, tuple[int, MetricValue]]] = field(default_factory=dict)
    """Death marks a birth could not lift (those values changed meanwhile), per device and
    metric: the value that held, dated at the mark, with the time it was sent for. Written over
    the marks once historical DATA shows the edge node kept observing; DATA sent before the
    death that arrives after it (resent after a reconnect) replaces an older value held."""
    parked: dict[str | None, list[tuple[Payload, int]]] = field(default_factory=dict)
    """DATA waiting for its birth, per device (None: the node's own): payload, arrival."""

    def now(self, received_ns: int) -> int:
        """The node's clock at ``received_ns``: its last timestamp plus the time since."""
        if self.clock is None:
            return received_ns
        payload_ns, arrived_ns = self.clock
        return payload_ns + max(0, received_ns - arrived_ns)

    def offline_at(self, moment_ns: int) -> int:
        """When its metrics become stale: after every value it sent (a mark on a value's own
        timestamp would replace that value)."""
        return max(moment_ns, self.latest_ns + 1)


def plain_definitions(definitions: Definitions) -> dict[str, Any]:
    return {"names": {str(alias): name for alias, name in definitions.names.items()},
            "datatypes": {name: None if t is None else int(t)
                          for name, t in definitions.datatypes.items()}}  # fmt: skip


def definitions_from(plain: dict[str, Any]) -> Definitions:
    return Definitions(
        {int(alias): name for alias, name in plain["names"].items()},
        {name: None if t is None else DataType(t) for name, t in plain["datatypes"].items()},
    )


def plain_marks(node: NodeState) -> dict[str, Any]:
    """A node's death marks not lifted yet, with the values that held when it died, as plain
    data: kept with the births, so that a collector killed between a death and the birth after
    it can still lift the marks (values JSON cannot carry, bytes, are left out)."""
    return {
        "stale_since": [[device, ns] for device, ns in node.stale_since.items()],
        "held": [[device, name, ts, value] for (device, name), (ts, value) in node.last.items()
                 if not isinstance(value, bytes)],
    }  # fmt: skip


def marks_from(node: NodeState, plain: dict[str, Any]) -> None:
    """Take up saved :func:`plain_marks` into ``node`` (what it learnt since stays)."""
    for device, ns in plain["stale_since"]:
        node.stale_since.setdefault(device, ns)
    for device, name, ts, value in plain["held"]:
        node.last.setdefault((device, name), (ts, value))


def seq_ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``3-5, 9``."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)


def waiting_for_birth(devices: list[str | None]) -> str:
    """Why a rebirth is asked for while DATA of ``devices`` (None: the node's own) waits."""
    names = ", ".join(sorted("the edge node" if d is None else f"device {d!r}" for d in devices))
    return f"DATA of {names} still waits for a birth"
