"""Sparkplug B 3.0 edge nodes for the simulated plant (no I/O).

Each production line is one edge node (a line gateway) in the group named after the site, and
each machine is a device of it. An edge node's messages follow the specification:

* NDEATH is the MQTT will of its session and carries only ``bdSeq``;
* NBIRTH (``seq`` 0) carries the same ``bdSeq`` and ``Node Control/Rebirth``; each device's DBIRTH
  declares every signal as a metric with name, alias, datatype, unit (``engUnit``) and value;
* DDATA carries aliases only, one metric per changed signal with its own timestamp;
* ``seq`` counts every message but NDEATH, 0 to 255 and round again; ``bdSeq`` counts sessions.

Births are not retained and use QoS 0, as the specification requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smkit.core.sample import Value
from smkit.plant.machine import Signal
from smkit.plant.model import Plant
from smkit.protocols.sparkplug import (
    BDSEQ,
    NAMESPACE,
    REBIRTH,
    DataType,
    Metric,
    Payload,
    encode,
)
from smkit.simulators.mqtt_messages import NS_PER_MS, Message
from smkit.simulators.signals import SignalValue
from smkit.simulators.wiretype import wire_type

_DATATYPES = {
    "bool": DataType.BOOLEAN, "str": DataType.STRING, "double": DataType.DOUBLE,
    "uint16": DataType.UINT16, "uint32": DataType.UINT32, "uint64": DataType.UINT64,
    "int32": DataType.INT32,
}  # fmt: skip


def metric_datatype(signal: Signal) -> DataType:
    """The Sparkplug datatype a real gateway would declare for the signal."""
    return _DATATYPES[wire_type(signal)]


@dataclass(frozen=True)
class DeviceMetric:
    """A signal of a device as a metric: alias, datatype and unit."""

    name: str
    alias: int
    datatype: DataType
    unit: str | None


class EdgeNode:
    """One line gateway: its devices' metrics, current values and sequence numbers."""

    def __init__(self, group: str, node: str, devices: dict[str, list[Signal]]) -> None:
        self.group = group
        self.node = node
        self.devices: dict[str, dict[str, DeviceMetric]] = {}
        alias = 0
        for device, signals in devices.items():
            metrics = {}
            for signal in signals:
                alias += 1
                metrics[signal.name] = DeviceMetric(
                    signal.name, alias, metric_datatype(signal), signal.unit
                )
            self.devices[device] = metrics
        self.current: dict[tuple[str, str], SignalValue] = {}
        self.bd_seq = 0
        self.seq = 0

    def topic(self, kind: str, device: str | None = None) -> str:
        """``spBv1.0/<group>/<kind>/<node>[/<device>]``."""
        base = f"{NAMESPACE}/{self.group}/{kind}/{self.node}"
        return base if device is None else f"{base}/{device}"

    def death(self) -> tuple[str, bytes]:
        """The NDEATH will of the current session: topic and payload."""
        payload = Payload(metrics=[Metric(name=BDSEQ, datatype=DataType.INT64, value=self.bd_seq)])
        return self.topic("NDEATH"), encode(payload)

    def new_session(self) -> None:
        """A new MQTT session (reconnect): the next bdSeq."""
        self.bd_seq = (self.bd_seq + 1) % 256

    def births(self, ts: int) -> list[Message]:
        """NBIRTH then every DBIRTH with current values, as after connecting or a rebirth."""
        self.seq = 0
        node_metrics = [
            Metric(name=BDSEQ, datatype=DataType.INT64, value=self.bd_seq),
            Metric(name=REBIRTH, datatype=DataType.BOOLEAN, value=False),
        ]
        out = [self._message("NBIRTH", None, ts, node_metrics, ())]
        for device, metrics in self.devices.items():
            known = [self.current.get((device, name)) for name in metrics]
            birth = [
                Metric(
                    name=m.name,
                    alias=m.alias,
                    timestamp=None if v is None else v.ts // NS_PER_MS,
                    datatype=m.datatype,
                    value=None if v is None else v.value,
                    is_null=v is None,
                    properties={"engUnit": m.unit} if m.unit else {},
                )
                for m, v in zip(metrics.values(), known, strict=True)
            ]
            served = tuple(v for v in known if v is not None)
            out.append(self._message("DBIRTH", device, ts, birth, served))
        return out

    def remember(self, value: SignalValue) -> None:
        """A value of one of its devices is now current (for the next births)."""
        self.current[(value.machine, value.signal)] = value

    def data(
        self, device: str, values: Sequence[SignalValue], *, historical: bool = False
    ) -> Message:
        """A DDATA with the device's values of one instant (aliases only); ``historical``
        for values published late, after the node was away."""
        metrics = self.devices[device]
        for value in values:
            self.current[(device, value.signal)] = value
        payload_metrics = [
            Metric(
                alias=metrics[v.signal].alias,
                timestamp=v.ts // NS_PER_MS,
                datatype=metrics[v.signal].datatype,
                value=_wire_value(v.value, metrics[v.signal].datatype),
                is_historical=historical,
                send_datatype=False,
            )
            for v in values
        ]
        return self._message("DDATA", device, values[0].ts, payload_metrics, tuple(values))

    def _message(
        self,
        kind: str,
        device: str | None,
        ts: int,
        metrics: list[Metric],
        values: tuple[SignalValue, ...],
    ) -> Message:
        payload = Payload(timestamp=ts // NS_PER_MS, metrics=metrics, seq=self.seq)
        self.seq = (self.seq + 1) % 256
        return Message(self.topic(kind, device), encode(payload), values)


def _wire_value(value: Value, datatype: DataType) -> Value:
    """DATA metrics carry no datatype, so the value must already have the birth's type."""
    if datatype is DataType.DOUBLE and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def edge_nodes(plant: Plant) -> list[EdgeNode]:
    """One edge node per line (named by the line id, or area-line if line ids repeat)."""
    lines = [(area, line) for area in plant.site.areas for line in area.lines]
    unique = len({line.id for _, line in lines}) == len(lines)
    return [
        EdgeNode(
            plant.site.id,
            line.id if unique else f"{area.id}-{line.id}",
            {machine.id: list(machine.signals) for machine in line.machines},
        )
        for area, line in lines
    ]
