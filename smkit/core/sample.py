"""The unit of machine data that flows from connectors through the outbox into the historian."""

from __future__ import annotations

import math
from enum import IntEnum
from typing import NamedTuple

Value = float | int | bool | str | None
"""A signal value. Connectors cast to the type the signal declares in plant.yaml."""


class Quality(IntEnum):
    """Data quality of a sample, after OPC UA's Good / Uncertain / Bad severity classes."""

    GOOD = 0
    UNCERTAIN = 1
    BAD = 2


QUALITIES: tuple[Quality, ...] = tuple(Quality)
"""``QUALITIES[code]`` is ``Quality(code)`` without the enum's lookup, which costs more than the
rest of turning a stored row into a sample (reads of a day hold millions)."""


class Sample(NamedTuple):
    """One value of one signal of one machine at one instant.

    ``ts`` is UTC in integer nanoseconds since the Unix epoch. A bad sample carries no value:
    it is never replaced by the last good one. ``status`` is the raw OPC UA status code when
    the source gave one. A NamedTuple keeps construction and serialisation cheap on the hot path.
    """

    machine_id: str
    signal: str
    ts: int
    value: Value
    quality: Quality = Quality.GOOD
    status: int | None = None


def storable(sample: Sample) -> Sample:
    """Return the sample as it can be stored, by the rules every historian backend shares.

    * A non-finite float becomes a bad sample with no value: InfluxDB's line protocol has no NaN
      and SQLite turns NaN into NULL, so neither could read it back.
    * A bad sample carries no value; a sample with no value is bad.
    """
    value = sample.value
    if value is None:
        return sample if sample.quality == Quality.BAD else sample._replace(quality=Quality.BAD)
    if sample.quality == Quality.BAD or (type(value) is float and not math.isfinite(value)):
        return sample._replace(value=None, quality=Quality.BAD)
    return sample
