"""plant.yaml itself, for engineers: read it, replace it. The text is kept as sent (comments
and order stay), checked exactly as ``smkit validate`` checks it (a 422 entry per problem, with
its line and column), written whole, audited, and served from the next request on. The
historian and ``api:`` settings take effect when ``smkit serve`` restarts, and the collector
reads plant.yaml when it starts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from smkit.api.audit import Change
from smkit.api.deps import Caller, ServedDep, require
from smkit.api.errors import Conflict
from smkit.api.roles import Right
from smkit.api.schemas.problems import CONFLICT, REFUSALS
from smkit.api.served import Served, served_over
from smkit.api.writes import apply
from smkit.core.wholefile import write_whole
from smkit.errors import ConfigError
from smkit.plant.loader import parse_plant
from smkit.plant.model import Plant
from smkit.plant.yamlfile import read_text

router = APIRouter(tags=["plant"], responses=REFUSALS | CONFLICT)
Engineer = Annotated[Caller, Depends(require(Right.PLANT))]
RESTART_SECTIONS = ("historian", "api")
"""What a running server keeps until it restarts (its open historian, its key store)."""


class PlantFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(max_length=10_000_000, description="plant.yaml's text, as it is saved.")


class SavedPlant(BaseModel):
    changed: bool
    restart_needed: list[str] = Field(
        description="Sections changed that take effect when smkit serve restarts."
    )


@router.get("/plant/yaml", response_model=PlantFile)
async def read_plant_file(*, caller: Engineer, app: ServedDep) -> PlantFile:
    """The plant.yaml this server serves, as its file holds it."""
    return PlantFile(yaml=await asyncio.to_thread(read_text, _path(app)))


@router.put("/plant/yaml", response_model=SavedPlant)
async def replace_plant_file(
    *, caller: Engineer, request: Request, app: ServedDep, sent: PlantFile
) -> SavedPlant:
    """Replace plant.yaml; every problem is a 422 entry at ``body.yaml`` naming its line."""
    path = _path(app)
    try:
        plant = parse_plant(sent.yaml, path.name, base_dir=path.parent)
    except ConfigError as error:
        raise HTTPException(422, [{"loc": ["body", "yaml"], "msg": problem, "type": "value_error"}
                                  for problem in error.problems]) from error  # fmt: skip
    before = await asyncio.to_thread(read_text, path)

    async def write() -> None:
        await asyncio.to_thread(write_whole, path, sent.yaml)

    changed = await apply(app, caller, Change("plant.replace", "plant", before, sent.yaml), write)
    if changed:
        request.app.state.served = _reloaded(app, plant)
    later = [s for s in RESTART_SECTIONS if getattr(plant, s) != getattr(app.plant, s)]
    return SavedPlant(changed=changed, restart_needed=later)


def _path(app: Served) -> Path:
    if app.plant_path is None:
        raise Conflict("this server was not started from a plant.yaml file")
    return app.plant_path


def _reloaded(app: Served, plant: Plant) -> Served:
    """What is served from the new plant, over the same historian and key store."""
    kept = plant.model_copy(update={s: getattr(app.plant, s) for s in RESTART_SECTIONS})
    return served_over(kept, app.historian, app.keys, app.plant_path)
