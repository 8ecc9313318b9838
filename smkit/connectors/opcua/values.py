"""An OPC UA DataValue as a smkit Sample: quality from the status code, the chosen timestamp,
the value cast to the signal's declared type. A value that is not good enough to trust carries
no value at all: a bad sample is never a repeated last good value."""

from __future__ import annotations

from typing import Any

from smkit.connectors.common.bindings import Binding
from smkit.connectors.common.cast import cast
from smkit.core.sample import Quality, Sample
from smkit.core.timeunits import utc_ns

_SEVERITY = {0: Quality.GOOD, 1: Quality.UNCERTAIN}


def quality_of(status: int) -> Quality:
    """OPC UA severity (the top two bits of the status code): good, uncertain or bad."""
    return _SEVERITY.get(status >> 30, Quality.BAD)


def sample_from(data_value: Any, binding: Binding, timestamp: str, received_ns: int) -> Sample:
    """Build the sample of one DataValue (``timestamp``: source, server or receive)."""
    machine, signal = binding.machine, binding.signal
    status = int(data_value.StatusCode.value) if data_value.StatusCode is not None else 0
    quality = quality_of(status)
    ts = _timestamp(data_value, timestamp, received_ns)
    if quality is Quality.BAD:
        return Sample(machine, signal, ts, None, Quality.BAD, status)
    raw = data_value.Value.Value if data_value.Value is not None else None
    try:
        value = cast(raw, binding.value_type)
    except ValueError:
        return Sample(machine, signal, ts, None, Quality.BAD, status)
    return Sample(machine, signal, ts, value, quality, status or None)


def _timestamp(data_value: Any, choice: str, received_ns: int) -> int:
    """The chosen timestamp, falling back source → server → receive when one is missing."""
    order = {"source": ("SourceTimestamp", "ServerTimestamp"), "server": ("ServerTimestamp",)}
    for name in order.get(choice, ()):
        moment = getattr(data_value, name, None)
        if moment is not None:
            return utc_ns(moment)
    return received_ns
