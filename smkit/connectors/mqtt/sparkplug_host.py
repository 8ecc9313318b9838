"""The host side of Sparkplug B 3.0: births, aliases, sequence numbers and deaths (no I/O).

A host application learns each edge node's and device's metrics from their birth certificates
and reads the DATA messages that follow through them (names behind aliases, datatypes for
values sent without one). :class:`SparkplugHost` keeps that state per edge node and applies the
specification's rules to every message it is given:

* NBIRTH opens a node session (its ``bdSeq``, ``seq`` 0, its metrics); every device of an earlier
  session is forgotten until its DBIRTH.
* DATA (or a DBIRTH) without the birth it depends on, and a metric alias no birth declared, are
  refused with a reason and answered with a rebirth request: only a new birth says what the
  values mean.
* ``seq`` must count up by one (mod 256) over every message but NDEATH. A missing number opens a
  *reorder timeout*: if it has not arrived when the timeout ends, the gap is real and a rebirth is
  due. Messages are used as they come (each value carries its own timestamp, so order does not
  change what is stored); the check only decides whether the node's state can be trusted.
* NDEATH counts only when its ``bdSeq`` is the current session's: the will of an older session
  can arrive after the new NBIRTH, and must not take the node offline. A valid NDEATH (or a
  DDEATH) makes every metric of the node (or device) stale from that moment; a later birth makes
  them known again, so a birth value older than the death is repeated at the birth's time.

Whether a due rebirth is actually requested (an NCMD) is the caller's choice: a read-only host
never sends one. Requests to one node are spaced by ``rebirth_interval_ns``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smkit.core.sample import Quality
from smkit.errors import PayloadError
from smkit.protocols.sparkplug.decode import interpret
from smkit.protocols.sparkplug.model import (
    BDSEQ,
    NAMESPACE,
    DataType,
    Metric,
    Payload,
    Scalar,
)

NS_PER_MS = 1_000_000
KINDS = {"NBIRTH", "NDEATH", "NDATA", "NCMD", "DBIRTH", "DDEATH", "DDATA", "DCMD"}
_DEVICE_KINDS = {"DBIRTH", "DDEATH", "DDATA", "DCMD"}


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


@dataclass(frozen=True)
class MetricValue:
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


@dataclass
class _Definitions:
    """The metrics one birth declared: names behind aliases and their datatypes."""

    names: dict[int, str] = field(default_factory=dict)
    datatypes: dict[str, DataType | None] = field(default_factory=dict)


@dataclass
class _Node:
    bd_seq: int | None = None
    online: bool = False
    expected_seq: int = 0
    missing: dict[int, int] = field(default_factory=dict)  # seq -> reorder deadline (ns)
    own: _Definitions | None = None
    devices: dict[str, _Definitions] = field(default_factory=dict)
    stale_since: dict[str | None, int] = field(default_factory=dict)
    clock: tuple[int, int] | None = None  # (payload time, arrival time) of the last message
    latest_ns: int = 0  # the latest time any of its messages or values carried
    rebirth_asked_ns: int | None = None

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


class SparkplugHost:
    """Birth, alias and sequence state of every edge node seen."""

    def __init__(self, reorder_timeout_ns: int, rebirth_interval_ns: int = 10**10) -> None:
        self.reorder_timeout_ns = reorder_timeout_ns
        self.rebirth_interval_ns = rebirth_interval_ns
        self.gaps = 0
        self._nodes: dict[tuple[str, str], _Node] = {}

    def receive(self, topic: SparkplugTopic, payload: Payload, received_ns: int) -> Outcome:
        """Apply one message (in arrival order) and say what it carries."""
        node = self._nodes.setdefault((topic.group, topic.node), _Node())
        out = Outcome()
        if topic.kind == "NDEATH":
            self._death(node, payload, received_ns, out)
        elif topic.kind in ("NCMD", "DCMD"):
            return out
        else:
            if topic.kind == "NBIRTH":
                self._node_birth(node, payload, received_ns, out)
            else:
                self._sequence(node, payload, received_ns, out)
                self._device_or_data(node, topic, payload, received_ns, out)
            if payload.timestamp is not None:
                node.clock = (payload.timestamp * NS_PER_MS, received_ns)
                node.latest_ns = max(node.latest_ns, payload.timestamp * NS_PER_MS)
            node.latest_ns = max([node.latest_ns, *(value.ts for value in out.values)])
        if out.rebirth is not None and not self._may_ask(node, received_ns):
            out.rebirth = None
        return out

    def overdue(self, now_ns: int) -> list[tuple[str, str, str]]:
        """(group, node, reason) of every node whose reorder timeout ended with seqs missing.

        Each such gap is counted once; the node is listed only if a rebirth may be asked now.
        """
        due = []
        for (group, name), node in self._nodes.items():
            late = sorted(seq for seq, deadline in node.missing.items() if deadline <= now_ns)
            if not late:
                continue
            node.missing.clear()
            self.gaps += 1
            if self._may_ask(node, now_ns):
                due.append((group, name, f"seq {_ranges(late)} never arrived"))
        return due

    def devices(self, group: str, node: str) -> list[str]:
        """The devices of a node born in its current session."""
        state = self._nodes.get((group, node))
        return [] if state is None else list(state.devices)

    def _may_ask(self, node: _Node, now_ns: int) -> bool:
        asked = node.rebirth_asked_ns
        if asked is not None and now_ns - asked < self.rebirth_interval_ns:
            return False
        node.rebirth_asked_ns = now_ns
        return True

    def _node_birth(self, node: _Node, payload: Payload, received_ns: int, out: Outcome) -> None:
        bd_seq = _bd_seq(payload)
        if bd_seq is None:
            out.problems.append("NBIRTH without a bdSeq metric")
        if payload.seq != 0:
            out.problems.append(f"NBIRTH with seq {payload.seq} (must be 0)")
        node.bd_seq, node.online, node.rebirth_asked_ns = bd_seq, True, None
        node.expected_seq, node.missing = 1, {}
        node.devices.clear()
        node.own = self._birth(node, None, payload, received_ns, out)

    def _device_or_data(
        self, node: _Node, topic: SparkplugTopic, payload: Payload, received_ns: int, out: Outcome
    ) -> None:
        if not node.online:
            out.problems.append(f"{topic.kind} before the NBIRTH of edge node {topic.node!r}")
            out.rebirth = f"{topic.kind} from an edge node without a birth"
            return
        device = topic.device
        if topic.kind == "DBIRTH":
            assert device is not None
            node.devices[device] = self._birth(node, device, payload, received_ns, out)
            return
        if topic.kind == "DDEATH":
            assert device is not None
            node.devices.pop(device, None)
            moment = node.offline_at(self._time(payload.timestamp, node, received_ns))
            out.stale.append((device, moment))
            node.stale_since[device] = out.stale[-1][1]
            return
        definitions = node.own if device is None else node.devices.get(device)
        if definitions is None:
            out.problems.append(f"DDATA before the DBIRTH of device {device!r}")
            out.rebirth = "DDATA from a device without a birth"
            return
        self._data(definitions, node, payload, received_ns, out)

    def _birth(
        self, node: _Node, device: str | None, payload: Payload, received_ns: int, out: Outcome
    ) -> _Definitions:
        definitions = _Definitions()
        birth_ns = self._time(payload.timestamp, node, received_ns)
        stale_ns = node.stale_since.pop(device, None)
        for metric in payload.metrics:
            if metric.name is None:
                out.problems.append(f"a birth metric without a name (alias {metric.alias})")
                continue
            if metric.alias is not None:
                definitions.names[metric.alias] = metric.name
            definitions.datatypes[metric.name] = metric.datatype
            ts = self._time(metric.timestamp or payload.timestamp, node, received_ns)
            value = _value(metric, metric.name, metric.datatype, ts)
            if value is None:
                continue
            out.values.append(value)
            if stale_ns is not None and value.ts <= stale_ns < birth_ns:
                out.values.append(MetricValue(value.name, birth_ns, value.value, value.quality))
        return definitions

    def _data(
        self,
        definitions: _Definitions,
        node: _Node,
        payload: Payload,
        received_ns: int,
        out: Outcome,
    ) -> None:
        for metric in payload.metrics:
            name = metric.name
            if name is None and metric.alias is not None:
                name = definitions.names.get(metric.alias)
                if name is None:
                    out.problems.append(f"unknown metric alias {metric.alias}")
                    out.rebirth = f"alias {metric.alias} is in no birth"
                    continue
            if name is None:
                out.problems.append("a metric with neither name nor alias")
                continue
            datatype = metric.datatype or definitions.datatypes.get(name)
            ts = self._time(metric.timestamp or payload.timestamp, node, received_ns)
            value = _value(metric, name, datatype, ts)
            if value is not None:
                out.values.append(value)

    def _sequence(self, node: _Node, payload: Payload, received_ns: int, out: Outcome) -> None:
        seq = payload.seq
        if seq is None or not 0 <= seq <= 255:
            out.problems.append(f"seq {seq} (must be 0 to 255)")
            return
        if not node.online:
            return
        ahead = (seq - node.expected_seq) % 256
        if ahead == 0:
            node.expected_seq = (seq + 1) % 256
        elif ahead < 128:  # numbers skipped: wait for them until the reorder timeout
            deadline = received_ns + self.reorder_timeout_ns
            for missing in range(node.expected_seq, node.expected_seq + ahead):
                node.missing.setdefault(missing % 256, deadline)
            node.expected_seq = (seq + 1) % 256
        node.missing.pop(seq, None)  # a late one (or a duplicate) fills its place

    def _death(self, node: _Node, payload: Payload, received_ns: int, out: Outcome) -> None:
        bd_seq = _bd_seq(payload)
        if not node.online or bd_seq is None or bd_seq != node.bd_seq:
            return  # the will of an older session (or of one never seen): ignored
        now = node.offline_at(node.now(received_ns))
        node.online, node.missing = False, {}
        for device in [None, *node.devices]:
            out.stale.append((device, now))
            node.stale_since[device] = now
        node.devices.clear()

    @staticmethod
    def _time(ms: int | None, node: _Node, received_ns: int) -> int:
        return node.now(received_ns) if ms is None else ms * NS_PER_MS


def _value(metric: Metric, name: str, datatype: DataType | None, ts: int) -> MetricValue | None:
    if metric.unsupported or name == BDSEQ:
        return None
    if metric.is_null:
        return MetricValue(name, ts, None, Quality.BAD)
    return MetricValue(name, ts, interpret(metric.value, datatype), _quality(metric))


def _bd_seq(payload: Payload) -> int | None:
    for metric in payload.metrics:
        if metric.name == BDSEQ and isinstance(metric.value, int):
            return metric.value
    return None


def _quality(metric: Metric) -> Quality:
    """A metric's ``Quality`` property (OPC DA style: 192 good, 64 uncertain, 0 bad)."""
    code = metric.properties.get("Quality")
    if not isinstance(code, int) or isinstance(code, bool):
        return Quality.GOOD
    return {0xC0: Quality.GOOD, 0x40: Quality.UNCERTAIN}.get(code & 0xC0, Quality.BAD)


def _ranges(numbers: list[int]) -> str:
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
