"""Whether smkit and its historian answer: for load balancers and compose healthchecks, without
a key (it says nothing about the plant)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from smkit.api.deps import ServedDep

router = APIRouter(tags=["health"])


class HealthView(BaseModel):
    ok: bool
    historian: str


@router.get("/health", response_model=HealthView)
async def health(app: ServedDep) -> HealthView:
    """``ok`` when the historian answers."""
    found = await app.historian.health()
    return HealthView(ok=found.ok, historian=found.backend)
