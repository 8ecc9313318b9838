"""The baseline of benchmarks/api_load.py: a bare FastAPI route returning a constant JSON body,
served by uvicorn as ``smkit serve`` serves smkit. Run: python bare_app.py PORT BYTES."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Response


def bare(size: int) -> FastAPI:
    """An app whose one route answers ``size`` bytes of JSON."""
    body = ('{"pad":"' + "x" * max(0, size - 10) + '"}').encode()
    app = FastAPI()

    @app.get("/bare")
    async def constant() -> Response:
        return Response(body, media_type="application/json")

    return app


if __name__ == "__main__":
    uvicorn.run(bare(int(sys.argv[2])), host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning", access_log=False)  # fmt: skip
