"""The HTTP API's app factory: routers under ``/api/v1``, the historian opened for the app's
lifetime, keys checked on every route, bodies bounded, CORS only for the origins plant.yaml
lists. ``smkit serve`` runs it under uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from smkit import __version__
from smkit.api import errors
from smkit.api.deps import document_keys
from smkit.api.keys import KeyStore
from smkit.api.routes import (
    audit,
    findings,
    health,
    keys,
    oee,
    orders,
    plant,
    plantfile,
    readiness,
    series,
    status,
    stops,
)
from smkit.api.served import served_over
from smkit.historian.factory import open_historian
from smkit.plant.model import Plant

PREFIX = "/api/v1"


def create_app(plant_config: Plant, plant_path: Path | None = None) -> FastAPI:
    """The API over the plant's historian (opened when the app starts, closed when it stops);
    ``plant_path``, the file the plant was read from, lets an engineer replace it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_historian(plant_config) as historian:
            keys = KeyStore(plant_config.api.store)
            app.state.served = served_over(plant_config, historian, keys, plant_path)
            yield

    app = FastAPI(
        title="smkit", version=__version__, lifespan=lifespan, docs_url="/docs",
        openapi_url=f"{PREFIX}/openapi.json", redoc_url=None,
        description="Plant, OEE and losses, downtime, for MES systems and smkit's pages. "
                    "Every route needs an API key (`smkit api-key create`).",
    )  # fmt: skip
    routers = (
        health,
        plant,
        plantfile,
        status,
        oee,
        series,
        orders,
        stops,
        findings,
        readiness,
        audit,
        keys,
    )
    for router in (module.router for module in routers):
        app.include_router(router, prefix=PREFIX)
    errors.install(app)
    document_keys(app, PREFIX, [module.router for module in routers])
    app.add_middleware(BodyLimit, limit=plant_config.api.max_body_bytes)
    if plant_config.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=plant_config.api.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    return app


class BodyLimit:
    """Refuse a body over ``limit`` bytes by its declared length (413) before reading it, and a
    body without a length (411). Plain ASGI: Starlette's ``BaseHTTPMiddleware`` costs every
    request about a millisecond."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            declared = headers.get(b"content-length")
            refusal = None
            if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
                refusal = JSONResponse({"detail": f"the request body is over {self.limit} bytes"},
                                       413)  # fmt: skip
            elif declared is None and b"transfer-encoding" in headers:
                refusal = JSONResponse({"detail": "send the body with a Content-Length"}, 411)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
