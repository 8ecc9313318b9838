"""Metric values as the Sparkplug host reads them through a birth's definitions.

Two ways in, one meaning. :func:`metric_value` reads a decoded :class:`Metric` (births, and DATA
with properties, flags or anything else unusual). :func:`plain_values` reads the DATA that nearly
every message is (see :mod:`smkit.protocols.sparkplug.plain`) into columns, without an object
per value: at tens of thousands of values a second, those objects cost more than the rest of
the host. The tests hold the two to the same values and the same state.
"""

from __future__ import annotations

from typing import NamedTuple

from smkit.connectors.mqtt.sparkplug_state import MetricValue, NodeState
from smkit.core.sample import Quality
from smkit.core.timeunits import NS_PER_MS
from smkit.protocols.sparkplug.decode import interpret, signed
from smkit.protocols.sparkplug.model import BDSEQ, SIGNED_BITS, DataType, Metric
from smkit.protocols.sparkplug.plain import PlainMetric, PlainScalar


class PlainValues(NamedTuple):
    """Values of one node or device, as columns; a None value is a null (a bad sample)."""

    names: list[str]
    timestamps: list[int]
    values: list[PlainScalar]


def metric_value(
    metric: Metric, name: str, datatype: DataType | None, ts: int
) -> MetricValue | None:
    """A decoded metric's value; None for what is not a value (bdSeq, unsupported types)."""
    if metric.unsupported or name == BDSEQ:
        return None
    if metric.is_null:
        return MetricValue(name, ts, None, Quality.BAD)
    return MetricValue(name, ts, interpret(metric.value, datatype), _quality(metric))


def plain_values(
    node: NodeState,
    device: str | None,
    datatypes: dict[str, DataType | None],
    names: list[str],
    metrics: list[PlainMetric],
    *,
    default_ns: int,
) -> PlainValues:
    """The values of plain DATA whose metric ``names`` are resolved (aliases looked up), each
    dated by its own timestamp or ``default_ns``, read through the birth's ``datatypes``; each
    good one remembered as :func:`remember` does."""
    last = node.last
    out = PlainValues([], [], [])
    for name, (_, _, ms, datatype, raw, is_null) in zip(names, metrics, strict=True):
        if name == BDSEQ:
            continue
        ts = ms * NS_PER_MS if ms else default_ns
        value = raw
        if not is_null:
            if type(raw) is int:
                bits = SIGNED_BITS.get(datatype or datatypes.get(name))  # type: ignore[arg-type]
                value = raw if bits is None else signed(raw, bits)
            key = (device, name)
            known = last.get(key)
            if known is None or ts >= known[0]:
                last[key] = (ts, value)
        out.names.append(name)
        out.timestamps.append(ts)
        out.values.append(value)
    return out


def remember(node: NodeState, device: str | None, value: MetricValue) -> None:
    """Keep a metric's newest good value (what holds if its edge node dies)."""
    if value.quality is not Quality.GOOD:
        return
    known = node.last.get((device, value.name))
    if known is None or value.ts >= known[0]:
        node.last[(device, value.name)] = (value.ts, value.value)


def held_later(held: dict[str, tuple[int, MetricValue]] | None, value: MetricValue) -> None:
    """A value sent before the death, arriving after it: if it is newer than the one held
    until the death, it is the one that held."""
    entry = None if held is None else held.get(value.name)
    if held is None or entry is None or value.quality is not Quality.GOOD:
        return
    sent_ns, mark = entry
    if sent_ns < value.ts <= mark.ts:
        held[value.name] = (value.ts, MetricValue(value.name, mark.ts, value.value, value.quality))


def _quality(metric: Metric) -> Quality:
    """A metric's ``Quality`` property (OPC DA style: 192 good, 64 uncertain, 0 bad)."""
    code = metric.properties.get("Quality")
    if not isinstance(code, int) or isinstance(code, bool):
        return Quality.GOOD
    return {0xC0: Quality.GOOD, 0x40: Quality.UNCERTAIN}.get(code & 0xC0, Quality.BAD)
