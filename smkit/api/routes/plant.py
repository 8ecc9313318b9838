"""The plant: hierarchy, signals, products with ideal cycle times, reasons, coming shifts."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query

from smkit.api.deps import Reader, ServedDep
from smkit.api.schemas.plant import PlantView, plant_view
from smkit.api.schemas.problems import REFUSALS
from smkit.core.timeunits import HOUR_NS

router = APIRouter(tags=["plant"], responses=REFUSALS)


@router.get("/plant", response_model=PlantView)
async def plant(
    *,
    caller: Reader,
    app: ServedDep,
    shifts_ahead_h: Annotated[
        int,
        Query(
            ge=0,
            le=24 * 31,
            description=("Show each line's shifts starting within this many hours."),
        ),
    ] = 24,
) -> PlantView:
    """Site → areas → lines → machines, with the reason catalog in Vietnamese and English."""
    return plant_view(app.plant, time.time_ns(), shifts_ahead_h * HOUR_NS)
