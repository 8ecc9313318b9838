"""What the app serves from, opened once for its lifetime and built again when plant.yaml is
replaced through the API (the historian and the key store stay)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from smkit.api.answers import Answers
from smkit.api.keys import KeyStore
from smkit.api.schemas.status import RenderedStatus, status_view
from smkit.api.shared import Shared
from smkit.collector import last_health
from smkit.historian.protocol import Historian
from smkit.oee.kept import KeptPeriods
from smkit.oee.status import plant_status
from smkit.plant.model import Plant


@dataclass
class Served:
    """The plant and its historian; ``status`` is the plant's live status, shared by every
    request while it is fresh; ``periods`` the OEE of closed periods, reused while still right;
    ``answers`` the rendered answers of reads, shared likewise; ``plant_path`` the plant.yaml
    the server was started from (None: given as a model, it cannot be replaced)."""

    plant: Plant
    historian: Historian
    keys: KeyStore
    status: Shared[RenderedStatus]
    periods: KeptPeriods
    answers: Answers
    plant_path: Path | None = None


def served_over(
    plant: Plant, historian: Historian, keys: KeyStore, plant_path: Path | None = None
) -> Served:
    """Everything served from ``plant`` over an open historian."""

    async def status() -> RenderedStatus:
        now = time.time_ns()
        found = await plant_status(plant, historian, now)
        health = last_health(plant, now)
        return RenderedStatus.of(status_view(plant, found, now, *health))

    return Served(plant, historian, keys, Shared(status, plant.api.status_refresh),
                  KeptPeriods(plant, historian), Answers(plant.api.live_refresh),
                  plant_path)  # fmt: skip
