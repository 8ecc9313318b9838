"""What every connector shares: the sink it emits to, its health, casting values to a signal's
type. The types that flow further (samples, time, backoff) are in :mod:`smkit.core`."""

from smkit.connectors.common.sink import Sink

__all__ = ["Sink"]
