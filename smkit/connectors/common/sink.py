"""Where connectors hand their samples: they never touch storage themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from smkit.core.sample import Sample


class Sink(Protocol):
    """Accepts samples. When ``put`` returns, the samples are durable (or the call raised)."""

    async def put(self, samples: Sequence[Sample]) -> None:
        """Store ``samples`` durably before returning; raise an ``SmkitError`` otherwise."""
        ...
