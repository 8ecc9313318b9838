"""smkit's errors as HTTP answers: a user's mistake is a 4xx naming what is wrong, an unreachable
historian a 503 with ``Retry-After``; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from smkit.errors import ConfigError, HistorianUnavailable, SmkitError

log = logging.getLogger("smkit.api")
RETRY_AFTER_S = 5


class NotFound(SmkitError):
    """A machine, line or other thing named in the request does not exist."""


class Conflict(SmkitError):
    """The request does not fit the current state (an order's, a key name in use): HTTP 409."""


def install(app: FastAPI) -> None:
    """Map smkit's exception tree onto HTTP statuses."""
    app.add_exception_handler(NotFound, _status(404))
    app.add_exception_handler(Conflict, _status(409))
    app.add_exception_handler(ConfigError, _status(400))
    app.add_exception_handler(HistorianUnavailable, _unavailable)
    app.add_exception_handler(SmkitError, _server_side)


def _status(code: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handler


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("historian unavailable for %s %s: %s", request.method, request.url.path, exc)
    wait = getattr(exc, "retry_after_s", None) or RETRY_AFTER_S
    return JSONResponse({"detail": f"the historian cannot answer now: {exc}"}, status_code=503,
                        headers={"Retry-After": str(round(wait))})  # fmt: skip


async def _server_side(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": f"smkit could not answer: {exc}"}, status_code=500)
