"""Types and helpers shared by every connector."""

from smkit.connectors.common.backoff import Backoff
from smkit.connectors.common.sample import Quality, Sample, Value, storable
from smkit.connectors.common.sink import Sink

__all__ = ["Backoff", "Quality", "Sample", "Sink", "Value", "storable"]
