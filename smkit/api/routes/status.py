"""Live status of every machine, computed once per ``api.status_refresh`` for every caller."""

from __future__ import annotations

from fastapi import APIRouter, Response

from smkit.api.deps import Reader, ServedDep
from smkit.api.query import LineId, chosen_machines
from smkit.api.schemas.problems import REFUSALS
from smkit.api.schemas.status import StatusView

router = APIRouter(tags=["status"], responses=REFUSALS)


@router.get("/status", response_model=StatusView)
async def status(*, caller: Reader, app: ServedDep, line: LineId = None) -> StatusView | Response:
    """State and since when, reason, order, product, this shift's counts and A, P, Q, OEE, the
    age of the newest sample and the source's health, per machine."""
    found = await app.status.get()
    if line is None:  # the JSON rendered once for every caller
        return Response(found.body, media_type="application/json")
    wanted = chosen_machines(app.plant, None, line) or []
    return found.view.model_copy(update={"machines": [m for m in found.view.machines
                                                      if m.machine in wanted]})  # fmt: skip
