"""The bottom of smkit: the types and helpers every layer may import (and that import nothing of
smkit but its errors): samples and their quality, time in integer nanoseconds, backoff."""

from smkit.core.backoff import Backoff
from smkit.core.sample import QUALITIES, Quality, Sample, Value, storable
from smkit.core.timeunits import DAY_NS, HOUR_NS, MINUTE_NS, NS_PER_MS, NS_PER_S, utc_ns

__all__ = [
    "DAY_NS",
    "HOUR_NS",
    "MINUTE_NS",
    "NS_PER_MS",
    "NS_PER_S",
    "QUALITIES",
    "Backoff",
    "Quality",
    "Sample",
    "Value",
    "storable",
    "utc_ns",
]
