"""The host side of Sparkplug B 3.0: births, aliases, sequence numbers and deaths (no I/O).

A host application learns each edge node's and device's metrics from their birth certificates
and reads the DATA messages that follow through them (names behind aliases, datatypes for
values sent without one). :class:`SparkplugHost` keeps that state per edge node and applies the
specification's rules to every message it is given:

* NBIRTH opens a node session (its ``bdSeq``, ``seq`` 0, its metrics); every device of an earlier
  session is forgotten until its DBIRTH.
* DATA without the birth it depends on is parked (up to ``park_limit`` messages, for
  ``park_ns``) and answered with a rebirth request: only a new birth says what the values mean,
  and once it came the parked DATA is read through it. A host that missed a birth (QoS 0, sent
  while it was away) so loses nothing; what no birth defines in time is given up (the caller
  dead-letters it). A DBIRTH without its NBIRTH, and a metric alias no birth declared, are
  refused with a reason and a rebirth request.
* ``seq`` must count up by one (mod 256) over every message but NDEATH. A missing number opens a
  *reorder timeout*: if it has not arrived when the timeout ends, the gap is real and a rebirth is
  due. Messages are used as they come (each value carries its own timestamp, so order does not
  change what is stored); the check only decides whether the node's state can be trusted.
* NDEATH counts only when its ``bdSeq`` is the current session's: the will of an older session
  can arrive after the new NBIRTH, and must not take the node offline. A valid NDEATH (or a
  DDEATH) makes every metric of the node (or device) stale from that moment; a later birth makes
  them known again. A birth value older than the death says it held all along (the edge node
  lost its connection, not its machine): it is written again at the death's time, over the mark.
* :meth:`SparkplugHost.births` and :meth:`SparkplugHost.restore` keep what the births declared
  across a restart of the host (see :mod:`smkit.connectors.mqtt.sparkplug_births`).

Whether a due rebirth is actually requested (an NCMD) is the caller's choice: a read-only host
never sends one. Requests to one node are spaced by ``rebirth_interval_ns``.
"""

from __future__ import annotations

from typing import Any, cast

from smkit.connectors.mqtt.sparkplug_state import (
    PARK_LIMIT,
    PARK_NS,
    Definitions,
    MetricValue,
    NodeState,
    Outcome,
    SparkplugTopic,
    definitions_from,
    marks_from,
    plain_definitions,
    plain_marks,
    seq_ranges,
    waiting_for_birth,
)
from smkit.connectors.mqtt.sparkplug_values import (
    PlainValues,
    held_later,
    metric_value,
    plain_values,
    remember,
)
from smkit.core.timeunits import NS_PER_MS
from smkit.protocols.sparkplug.model import BDSEQ, Payload
from smkit.protocols.sparkplug.plain import PlainPayload


class SparkplugHost:
    """Birth, alias and sequence state of every edge node seen."""

    def __init__(
        self,
        reorder_timeout_ns: int,
        rebirth_interval_ns: int = 10**10,
        park_ns: int = PARK_NS,
        park_limit: int = PARK_LIMIT,
    ) -> None:
        self.reorder_timeout_ns = reorder_timeout_ns
        self.rebirth_interval_ns = rebirth_interval_ns
        self.park_ns, self.park_limit = park_ns, park_limit
        self._parked_count = 0
        self.gaps = 0
        self.births_changed = False
        """Whether what :meth:`births` returns changed since the flag was last cleared."""
        self._nodes: dict[tuple[str, str], NodeState] = {}

    def births(self) -> dict[str, Any]:
        """What the births of every online edge node declared, as plain data: kept beside the
        outbox, so a collector started again reads the DATA queued for it meanwhile (aliases
        only, most of it) without waiting for a new birth."""
        return {
            f"{group}/{name}": {
                "bd_seq": node.bd_seq,
                "own": plain_definitions(node.own) if node.own is not None else None,
                "devices": {device: plain_definitions(d) for device, d in node.devices.items()},
            }
            for (group, name), node in self._nodes.items()
            if node.online
        }

    def marks(self) -> dict[str, Any]:
        """Every node's death marks not lifted yet (see :func:`plain_marks`), kept with the
        births: written whenever they change, which every death and birth does."""
        return {f"{group}/{name}": plain_marks(node)
                for (group, name), node in self._nodes.items() if node.stale_since}  # fmt: skip

    def restore(self, births: dict[str, Any], marks: dict[str, Any] | None = None) -> None:
        """Take up saved :meth:`births` (a restarted host): the nodes online, their next seq
        taken as it comes; and the saved :meth:`marks`, for the births still to come."""
        for key, saved in births.items():
            group, name = key.split("/", 1)
            own = saved["own"]
            self._nodes[(group, name)] = NodeState(
                bd_seq=saved["bd_seq"], online=True, expected_seq=None,
                own=None if own is None else definitions_from(own),
                devices={d: definitions_from(v) for d, v in saved["devices"].items()},
            )  # fmt: skip
        for key, saved in (marks or {}).items():
            group, name = key.split("/", 1)
            marks_from(self._nodes.setdefault((group, name), NodeState()), saved)

    def receive(self, topic: SparkplugTopic, payload: Payload, received_ns: int) -> Outcome:
        """Apply one message (in arrival order) and say what it carries."""
        node = self._nodes.setdefault((topic.group, topic.node), NodeState())
        out = Outcome()
        if topic.kind == "NDEATH":
            self._death(node, payload, received_ns, out)
        elif topic.kind in ("NCMD", "DCMD"):
            return out
        else:
            if topic.kind == "NBIRTH":
                self._node_birth(node, payload, received_ns, out)
            else:
                problem = self._sequence(node, payload.seq, received_ns)
                out.problems += [problem] if problem is not None else []
                self._device_or_data(node, topic, payload, received_ns, out)
            if payload.timestamp is not None:
                node.clock = (payload.timestamp * NS_PER_MS, received_ns)
                node.latest_ns = max(node.latest_ns, payload.timestamp * NS_PER_MS)
            node.latest_ns = max([node.latest_ns, *(value.ts for value in out.values)])
        if out.rebirth is not None and not self._may_ask(node, received_ns):
            out.rebirth = None
        return out

    def receive_plain(
        self, topic: SparkplugTopic, plain: PlainPayload, received_ns: int
    ) -> PlainValues | None:
        """Apply plain DATA (see :mod:`smkit.protocols.sparkplug.plain`) as :meth:`receive`
        would, and give its values as columns; None, with nothing changed, when the message
        needs more than the plain path does (no birth yet, an unknown alias, a death mark
        waiting to be lifted, a seq out of range): then :meth:`receive` takes it."""
        node = self._nodes.get((topic.group, topic.node))
        if node is None or not node.online or topic.kind not in ("NDATA", "DDATA"):
            return None
        device = topic.device
        definitions = node.own if device is None else node.devices.get(device)
        timestamp, seq, metrics = plain
        if definitions is None or device in node.unlifted or seq is None or not 0 <= seq <= 255:
            return None
        aliases = definitions.names
        names = [aliases.get(alias, None) if name is None and alias is not None else name
                 for name, alias, *_ in metrics]  # fmt: skip
        if None in names:
            return None
        self._sequence(node, seq, received_ns)
        default_ns = node.now(received_ns) if timestamp is None else timestamp * NS_PER_MS
        out = plain_values(node, device, definitions.datatypes, cast(list[str], names), metrics,
                           default_ns=default_ns)  # fmt: skip
        if timestamp is not None:
            node.clock = (default_ns, received_ns)
            node.latest_ns = max(node.latest_ns, default_ns)
        node.latest_ns = max([node.latest_ns, *out.timestamps])
        return out

    def overdue(self, now_ns: int) -> list[tuple[str, str, str]]:
        """(group, node, reason) of every node whose reorder timeout ended with seqs missing,
        or whose parked DATA still waits for a birth.

        Each such gap is counted once; the node is listed only if a rebirth may be asked now.
        A node with parked DATA is asked again each ``rebirth_interval_ns``: a request sent
        while the edge node was away (reconnecting after a broker restart, say) reaches no one,
        and the DATA that would ask again cannot come, because the parked messages, held
        unacknowledged, fill the window the broker may send in.
        """
        due = []
        for (group, name), node in self._nodes.items():
            late = sorted(seq for seq, deadline in node.missing.items() if deadline <= now_ns)
            if late:
                node.missing.clear()
                self.gaps += 1
            waiting = [device for device, parked in node.parked.items() if parked]
            if (late or waiting) and self._may_ask(node, now_ns):
                reason = (f"seq {seq_ranges(late)} never arrived" if late
                          else waiting_for_birth(waiting))  # fmt: skip
                due.append((group, name, reason))
        return due

    def devices(self, group: str, node: str) -> list[str]:
        """The devices of a node born in its current session."""
        state = self._nodes.get((group, node))
        return [] if state is None else list(state.devices)

    def _may_ask(self, node: NodeState, now_ns: int) -> bool:
        asked = node.rebirth_asked_ns
        if asked is not None and now_ns - asked < self.rebirth_interval_ns:
            return False
        node.rebirth_asked_ns = now_ns
        return True

    def _node_birth(
        self, node: NodeState, payload: Payload, received_ns: int, out: Outcome
    ) -> None:
        bd_seq = _bd_seq(payload)
        if bd_seq is None:
            out.problems.append("NBIRTH without a bdSeq metric")
        if payload.seq != 0:
            out.problems.append(f"NBIRTH with seq {payload.seq} (must be 0)")
        node.bd_seq, node.online, node.rebirth_asked_ns = bd_seq, True, None
        node.expected_seq, node.missing = 1, {}
        node.devices.clear()
        node.own = self._birth(node, None, payload, received_ns, out)
        self.births_changed = True
        self._replay(node, None, out)

    def _device_or_data(
        self,
        node: NodeState,
        topic: SparkplugTopic,
        payload: Payload,
        received_ns: int,
        out: Outcome,
    ) -> None:
        if not node.online:
            self._park(node, topic, payload, received_ns, out,
                       problem=f"{topic.kind} before the NBIRTH of edge node {topic.node!r}",
                       rebirth=f"{topic.kind} from an edge node without a birth")  # fmt: skip
            return
        device = topic.device
        if topic.kind == "DBIRTH":
            assert device is not None
            node.devices[device] = self._birth(node, device, payload, received_ns, out)
            self.births_changed = True
            self._replay(node, device, out)
            return
        if topic.kind == "DDEATH":
            assert device is not None
            node.devices.pop(device, None)
            self.births_changed = True
            moment = node.offline_at(self._time(payload.timestamp, node, received_ns))
            out.stale.append((device, moment))
            node.stale_since[device] = out.stale[-1][1]
            node.unlifted.pop(device, None)
            return
        definitions = node.own if device is None else node.devices.get(device)
        if definitions is None:
            self._park(node, topic, payload, received_ns, out,
                       problem=f"DDATA before the DBIRTH of device {device!r}",
                       rebirth="DDATA from a device without a birth")  # fmt: skip
            return
        self._data(definitions, node, payload, received_ns, out, device=device)

    def _park(self, node: NodeState, topic: SparkplugTopic, payload: Payload, received_ns: int,
              out: Outcome, *, problem: str, rebirth: str) -> None:  # fmt: skip
        """Keep DATA that no birth defines yet until one does (asking for it), instead of
        refusing it: a host that missed a birth (QoS 0, sent while it was away) reads the DATA
        queued for it once the edge node is born again. Past the limit it is refused."""
        out.rebirth = rebirth
        if topic.kind not in ("NDATA", "DDATA") or self._parked_count >= self.park_limit:
            out.problems.append(problem)
            return
        node.parked.setdefault(topic.device, []).append((payload, received_ns))
        self._parked_count += 1
        out.parked = True

    def _replay(self, node: NodeState, device: str | None, out: Outcome) -> None:
        """The values of the DATA parked for ``device``, now that its birth defines them."""
        parked = node.parked.pop(device, [])
        definitions = node.own if device is None else node.devices.get(device)
        if not parked or definitions is None:
            return
        self._parked_count -= len(parked)
        for payload, received_ns in parked:
            self._data(definitions, node, payload, received_ns, out, device=device)
        out.replayed.append(device)

    def expired(self, now_ns: int) -> list[tuple[str, str, str | None]]:
        """(group, node, device) of DATA parked longer than ``park_ns`` with no birth: given up
        (the caller dead-letters what it kept of them)."""
        gone = []
        for (group, name), node in self._nodes.items():
            for device, parked in list(node.parked.items()):
                if parked and now_ns - parked[0][1] >= self.park_ns:
                    del node.parked[device]
                    self._parked_count -= len(parked)
                    gone.append((group, name, device))
        return gone

    def _birth(
        self, node: NodeState, device: str | None, payload: Payload, received_ns: int, out: Outcome
    ) -> Definitions:
        definitions = Definitions()
        birth_ns = self._time(payload.timestamp, node, received_ns)
        stale_ns = node.stale_since.pop(device, None)
        # a birth in the mark's millisecond (born again at once, the mark a nanosecond after
        # the last DATA) came after the death all the same: Sparkplug's times are milliseconds
        mark = stale_ns if stale_ns is not None and stale_ns < birth_ns + NS_PER_MS else None
        held: dict[str, tuple[int, MetricValue]] = {}
        for metric in payload.metrics:
            if metric.name is None:
                out.problems.append(f"a birth metric without a name (alias {metric.alias})")
                continue
            if metric.alias is not None:
                definitions.names[metric.alias] = metric.name
            definitions.datatypes[metric.name] = metric.datatype
            ts = self._time(metric.timestamp or payload.timestamp, node, received_ns)
            value = metric_value(metric, metric.name, metric.datatype, ts)
            if value is None:
                continue
            out.values.append(value)
            before = node.last.get((device, value.name))
            if mark is not None and value.ts <= mark:
                # the birth says the value held since before the death: it lifts the mark
                out.values.append(MetricValue(value.name, mark, value.value, value.quality))
            elif mark is not None and before is not None:
                held[value.name] = (before[0], MetricValue(value.name, mark, before[1]))
            remember(node, device, value)
        if held:
            node.unlifted[device] = held
        return definitions

    def _data(
        self,
        definitions: Definitions,
        node: NodeState,
        payload: Payload,
        received_ns: int,
        out: Outcome,
        *,
        device: str | None,
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
            value = metric_value(metric, name, datatype, ts)
            if value is not None:
                out.values.append(value)
                remember(node, device, value)
                held_later(node.unlifted.get(device), value)
            held = node.unlifted.get(device)
            if metric.is_historical and held and ts > _mark_of(held):
                # the edge node kept observing while it was away: what held before its death
                # held until the changes it now sends. Its history comes in order, so once it
                # passes the mark, every value from before the mark has corrected what held
                out.values += [value for _, value in node.unlifted.pop(device).values()]

    def _sequence(self, node: NodeState, seq: int | None, received_ns: int) -> str | None:
        """Follow a node's seq numbers; a problem if ``seq`` is none or out of range."""
        if seq is None or not 0 <= seq <= 255:
            return f"seq {seq} (must be 0 to 255)"
        if not node.online:
            return None
        if node.expected_seq is None:
            node.expected_seq = seq
        ahead = (seq - node.expected_seq) % 256
        if ahead == 0:
            node.expected_seq = (seq + 1) % 256
        elif ahead < 128:  # numbers skipped: wait for them until the reorder timeout
            deadline = received_ns + self.reorder_timeout_ns
            for missing in range(node.expected_seq, node.expected_seq + ahead):
                node.missing.setdefault(missing % 256, deadline)
            node.expected_seq = (seq + 1) % 256
        node.missing.pop(seq, None)  # a late one (or a duplicate) fills its place
        return None

    def _death(self, node: NodeState, payload: Payload, received_ns: int, out: Outcome) -> None:
        bd_seq = _bd_seq(payload)
        if not node.online or bd_seq is None or bd_seq != node.bd_seq:
            return  # the will of an older session (or of one never seen): ignored
        now = node.offline_at(node.now(received_ns))
        node.online, node.missing, node.unlifted = False, {}, {}
        self.births_changed = True
        for device in [None, *node.devices]:
            out.stale.append((device, now))
            node.stale_since[device] = now
        node.devices.clear()

    @staticmethod
    def _time(ms: int | None, node: NodeState, received_ns: int) -> int:
        return node.now(received_ns) if ms is None else ms * NS_PER_MS


def _bd_seq(payload: Payload) -> int | None:
    for metric in payload.metrics:
        if metric.name == BDSEQ and isinstance(metric.value, int):
            return metric.value
    return None


def _mark_of(held: dict[str, tuple[int, MetricValue]]) -> int:
    """The time of the death mark the held values wait to lift (one mark per device)."""
    return next(iter(held.values()))[1].ts
