"""The simulated machines publishing to an MQTT broker (paho-mqtt 2.x, MQTT 5).

Plain formats use one client; Sparkplug B uses one client per edge node, because each node's
NDEATH is the will of its own session. Message faults of chaos mode (duplicates, swapped
messages, malformed payloads next to good ones) are decided per message from the seed; a
broker disconnect closes the session *with* its will, so a Sparkplug host sees NDEATH, and the
node comes back with the next bdSeq and fresh births. No value is dropped by the simulator:
values due while it is disconnected are published once it is back, after the births, flagged
historical as a store-and-forward edge node does (the host then knows the node kept observing).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from smkit.errors import PayloadError
from smkit.plant.model import Plant
from smkit.protocols.sparkplug import REBIRTH, decode
from smkit.simulators.chaos import ChaosLog, MqttChaos
from smkit.simulators.host_watch import HostWatch
from smkit.simulators.mqtt_client import BrokerConnection, BrokerError, BrokerSettings
from smkit.simulators.mqtt_messages import Message, Topics, malformed, plain_messages
from smkit.simulators.signals import SignalValue
from smkit.simulators.sparkplug_edge import EdgeNode, edge_nodes

HOST_WAIT_S = 60.0
"""How long the end of a run waits for an offline primary host to take the values kept."""
COMEBACK_WAIT_S = 60.0
"""How long the end of a run waits for sessions dropped on purpose to come back (the broker
may be away just then) and publish the values kept."""


@dataclass(frozen=True)
class MqttOptions:
    """Where and how to publish."""

    broker: BrokerSettings
    format: str = "json"
    qos: int = 1
    retain: bool = False
    primary_host: str | None = None
    """Sparkplug: publish only while this primary host's STATE says online (see host_watch)."""


class MqttPublisher:
    """Publishes signal values in one format, injecting the configured message faults."""

    def __init__(
        self,
        plant: Plant,
        scenario: str,
        options: MqttOptions,
        *,
        chaos: MqttChaos,
        chaos_log: ChaosLog,
        seed: int,
    ) -> None:
        self.options = options
        self.chaos = chaos
        self.chaos_log = chaos_log
        self.rng = random.Random(f"{seed}/mqtt-chaos")
        self.topics = Topics(plant)
        self.nodes = {node.node: node for node in edge_nodes(plant)}
        self.node_of = {machine: node for node in self.nodes.values() for machine in node.devices}
        self.sparkplug = options.format == "sparkplug"
        names = list(self.nodes) if self.sparkplug else ["plain"]
        self.connections = {
            name: BrokerConnection(options.broker, f"smkit-sim-{scenario}-{name}") for name in names
        }
        self._held: dict[str, Message] = {}
        self._away = False
        self._backlog: list[SignalValue] = []
        self._comeback: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()
        self._message_chaos = chaos.duplicates + chaos.out_of_order + chaos.malformed > 0
        self._rebirths: set[str] = set()
        self.rebirths = 0
        self.host: HostWatch | None = None
        if self.sparkplug and options.primary_host is not None:
            watcher = f"smkit-sim-{scenario}-host-watch"
            self.host = HostWatch(options.broker, options.primary_host, watcher,
                                  self._host_changed)  # fmt: skip
        self._following = asyncio.Lock()
        self._latest = 0
        """The newest time the simulation reached (births when a host comes back carry it)."""
        self._host_task: asyncio.Task[None] | None = None

    async def start(self, ts: int) -> None:
        """Connect every client; Sparkplug nodes announce themselves (once their primary host
        is online, when they have one)."""
        self._latest = ts
        if self.host is not None and not await self.host.start():
            self._away = True  # values are kept until the host comes online
            return
        for name, connection in self.connections.items():
            if self.sparkplug:
                await self._connect_node(self.nodes[name], connection, ts)
            else:
                await connection.connect()
                connection.after_reopen = self._after_reopen

    async def _after_reopen(self) -> None:
        if not self._away:
            await self._flush_backlog(historical=True)

    async def stop(self) -> None:
        """Publish what is held back, wait for the broker's acknowledgements, disconnect."""
        if self._comeback is not None:
            try:
                await asyncio.wait_for(self._comeback, COMEBACK_WAIT_S)
            except TimeoutError:
                raise BrokerError(f"the broker stayed away: {len(self._backlog)} values kept "
                                  "were not published") from None  # fmt: skip
        if self.host is not None:
            await self._host_back_for_the_rest()
        for name, connection in self.connections.items():
            held = self._held.pop(name, None)
            if held is not None:
                connection.publish(held.topic, held.payload, self.options.qos, self.options.retain)
            await connection.close()

    async def publish(self, values: Sequence[SignalValue]) -> list[SignalValue]:
        """Publish a batch of values (or keep them while away); returns all of them: each goes
        out, now or once the broker is back."""
        self._latest = max([self._latest, *(value.ts for value in values)])
        if self._away or self._backlog or not all(c.connected for c in self.connections.values()):
            self._backlog.extend(values)
        else:
            await self._publish_now(values)
        return list(values)

    async def disconnect_for(self, ts: int, downtime_s: float) -> None:
        """Drop every session with its will; come back after ``downtime_s`` wall seconds.

        Values due meanwhile are kept and published, in order, once the sessions are back.
        """
        if self._away:
            self.chaos_log.record(ts, "mqtt", "broker_disconnect", skipped="already away")
            return
        for connection in self.connections.values():
            await connection.drop_with_will()
        self._away = True
        entry = self.chaos_log.record(
            ts, "mqtt", "broker_disconnect", downtime_s=downtime_s, values_delayed=0
        )
        self._comeback = asyncio.create_task(self._come_back(entry, downtime_s))

    async def _come_back(self, entry: dict[str, Any], downtime_s: float) -> None:
        """Reconnect after ``downtime_s`` (unless the primary host is offline by then: its
        return brings the nodes back)."""
        await asyncio.sleep(downtime_s)
        async with self._following:
            if self.host is None or self.host.online:
                entry["values_delayed"] = await self._reconnect(entry["ts"])

    async def _reconnect(self, since: int) -> int:
        """Open new sessions; a Sparkplug node's births carry its values as of now (the ones due
        while away included), and what was due meanwhile follows as historical data; returns
        how many values were kept."""
        now = max((value.ts for value in self._backlog), default=since)
        if self.sparkplug:
            self._remember_kept()
        for name, connection in self.connections.items():
            if self.sparkplug:
                self.nodes[name].new_session()
                await self._connect_node(self.nodes[name], connection, now, retrying=True)
            else:
                await connection.connect_when_up()
        kept = await self._flush_backlog(historical=True)
        self._away = False
        return kept

    def _host_changed(self, online: bool) -> None:
        """The primary host came online (the nodes come back) or went offline (they close
        their sessions, with their NDEATH wills, and keep what they observe)."""
        self._host_task = asyncio.create_task(self._follow_host(online))

    async def _follow_host(self, online: bool) -> None:
        async with self._following:
            if online and self._away:
                await self._reconnect(self._latest)
            elif not online and not self._away:
                for connection in self.connections.values():
                    await connection.drop_with_will()
                self._away = True

    async def _host_back_for_the_rest(self) -> None:
        """At the end, wait for an offline primary host to take what was kept; an error if
        it stays away (those values were never sent)."""
        assert self.host is not None
        if self._away and not await self.host.until_online(HOST_WAIT_S):
            raise BrokerError(f"primary host {self.host.host_id!r} stayed offline: "
                              f"{len(self._backlog)} values kept were not published")  # fmt: skip
        if self._host_task is not None:
            await self._host_task
        await self.host.close()

    async def _flush_backlog(self, *, historical: bool = False) -> int:
        """Publish, in order, the values kept while a session was down; returns how many."""
        flushed = 0
        async with self._flushing:
            while self._backlog:
                backlog, self._backlog = self._backlog, []
                flushed += len(backlog)
                await self._publish_now(backlog, historical=historical)
        return flushed

    async def _publish_now(self, values: Sequence[SignalValue], *, historical: bool = False) -> int:
        sent = 0
        for name, message in self._messages(values, historical):
            await self._send(name, message)
            sent += len(message.values)
        for name in sorted(self._rebirths):
            await self._rebirth(name, values[-1].ts)
        return sent

    def _messages(
        self, values: Sequence[SignalValue], historical: bool
    ) -> Iterator[tuple[str, Message]]:
        if not self.sparkplug:
            for message in plain_messages(self.options.format, values, self.topics):
                yield "plain", message
            return
        for (machine, _), group in groupby(values, key=lambda v: (v.machine, v.ts)):
            node = self.node_of[machine]
            yield node.node, node.data(machine, list(group), historical=historical)

    async def _send(self, name: str, message: Message) -> None:
        connection = self.connections[name]
        qos, retain = self.options.qos, self.options.retain
        if not self._message_chaos:
            connection.publish(message.topic, message.payload, qos, retain)
            await connection.backpressure()
            return
        ts = message.values[0].ts
        draw = self.rng.random
        if draw() < self.chaos.malformed:
            kind = self.rng.randrange(4)
            connection.publish(message.topic, malformed(kind, message), qos, False)
            self.chaos_log.record(ts, "mqtt", "malformed", topic=message.topic, variant=kind)
        held = self._held.pop(name, None)
        if held is None and draw() < self.chaos.out_of_order:
            self._held[name] = message
            self.chaos_log.record(ts, "mqtt", "out_of_order", topic=message.topic)
            return
        connection.publish(message.topic, message.payload, qos, retain)
        if held is not None:
            connection.publish(held.topic, held.payload, qos, retain)
        if draw() < self.chaos.duplicates:
            connection.publish(message.topic, message.payload, qos, retain)
            self.chaos_log.record(ts, "mqtt", "duplicate", topic=message.topic)
        await connection.backpressure()

    async def _connect_node(
        self, node: EdgeNode, connection: BrokerConnection, ts: int, *, retrying: bool = False
    ) -> None:
        """Open the node's session with its NDEATH as will, listen for commands, announce it
        (``retrying``: until the broker can be reached)."""
        connection.set_will(*node.death())
        connect = connection.connect_when_up if retrying else connection.connect
        await connect(node.topic("NCMD"), lambda payload: self._on_command(node.node, payload))
        self._births(node, connection, ts)

        def next_session() -> None:  # the broker dropped us: the next session has a new bdSeq
            node.new_session()
            connection.set_will(*node.death())

        async def announce() -> None:
            self._remember_kept(node)
            latest = max((value.ts for value in node.current.values()), default=ts)
            self._births(node, connection, latest)
            await self._after_reopen()

        connection.before_reopen, connection.after_reopen = next_session, announce

    def _remember_kept(self, only: EdgeNode | None = None) -> None:
        """Make the values kept while away current for the births that come first (of every
        node, or of ``only``): births carry the values as of now, and the kept ones follow as
        historical data."""
        for value in self._backlog:
            node = self.node_of[value.machine]
            if only is None or node is only:
                node.remember(value)

    def _births(self, node: EdgeNode, connection: BrokerConnection, ts: int) -> None:
        for message in node.births(ts):
            connection.publish(message.topic, message.payload, 0, False)

    def _on_command(self, node: str, payload: bytes) -> None:
        """An NCMD arrived: note a rebirth request (served before the next data)."""
        try:
            metrics = decode(payload).metrics
        except PayloadError:
            return
        if any(m.name == REBIRTH and m.value is True for m in metrics):
            self._rebirths.add(node)

    async def _rebirth(self, name: str, ts: int) -> None:
        self._rebirths.discard(name)
        self.rebirths += 1
        self._births(self.nodes[name], self.connections[name], ts)
