"""The answers a route gives besides its own: refusals and an unreachable historian, each a JSON
object with a ``detail`` saying what is wrong (validation errors: FastAPI's own 422 shape)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    detail: str


def _problem(text: str) -> dict[str, Any]:
    return {"model": Problem, "description": text}


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: _problem("The request cannot be served as asked (the plant's configuration says why)"),
    401: _problem("No API key, or one that is not valid or was revoked"),
    403: _problem("The key's role may not do this"),
    413: _problem("The request body is over the limit"),
    503: _problem("The historian cannot answer now; retry after Retry-After seconds"),
}
"""Documented on every router that needs a key."""

CONFLICT: dict[int | str, dict[str, Any]] = {
    404: _problem("No such thing (the detail names it)"),
    409: _problem("The command does not fit the current state (the detail says why)"),
}
"""Documented on routes that change something with a state of its own."""
