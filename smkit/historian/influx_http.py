"""The InfluxDB v1 HTTP API (``/ping``, ``/write``, ``/query``), which 1.x serves natively and
2.x / 3.x serve for compatibility. Errors are classified here, at the boundary:

* connection errors, 429 and 5xx → :class:`HistorianUnavailable` (retry, honouring Retry-After);
* 401, 403 and 404 (no such database) → :class:`HistorianUnavailable` too: they are configuration
  problems, and dead-lettering good data because of a wrong password would lose it;
* 413 → :class:`PayloadTooLarge` (split);
* any other 4xx (bad line protocol, field type conflict) → :class:`WriteRejected`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgpack

from smkit.errors import HistorianError, HistorianUnavailable, PayloadTooLarge, WriteRejected

Series = dict[str, Any]
"""One series of a query result: ``name``, ``tags``, ``columns``, ``values``."""

_MSGPACK = "application/x-msgpack"
"""1.x answers in MessagePack when asked for exactly that (it does not weigh a list of types),
which reads in half the time of its JSON (``benchmarks/oee_report.py``). A server that refuses
it (406) is asked for JSON from then on; one that ignores it answers JSON anyway. Answers are
asked for uncompressed: compressing them costs the server more than it saves on a plant's
network (a quarter of the read time over loopback)."""
_NOT_ACCEPTABLE = 406
_CONFIG_STATUSES = {401: "authentication failed", 403: "not authorised", 404: "not found"}


class DatabaseNotFound(HistorianUnavailable):
    """The database does not exist (yet): create it on 1.x, or wait for an operator to."""


@dataclass(frozen=True)
class InfluxAuth:
    """Username/password (1.x) or token (2.x: ``Token``; 3.x accepts it too)."""

    username: str | None = None
    password: str | None = None
    token: str | None = None

    def headers(self) -> dict[str, str]:
        """The Authorization header, if a token is set."""
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def basic(self) -> httpx.BasicAuth | None:
        """HTTP basic auth, if a username is set."""
        if self.username is None:
            return None
        return httpx.BasicAuth(self.username, self.password or "")


class InfluxHttp:
    """A thin async client of the v1 API; one connection pool per historian."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        retention_policy: str | None = None,
        auth: InfluxAuth | None = None,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.retention_policy = retention_policy
        auth = auth or InfluxAuth()
        self._client = httpx.AsyncClient(
            base_url=self.url,
            headers=auth.headers(),
            auth=auth.basic(),
            timeout=timeout_s,
            transport=transport,
        )
        self._accept = {"Accept": _MSGPACK, "Accept-Encoding": "identity"}

    async def ping(self) -> str:
        """The server's version (from ``X-Influxdb-Version``); raise if it does not answer 204."""
        response = await self._send("GET", "/ping")
        _raise_for_status(response, "ping")
        return str(response.headers.get("X-Influxdb-Version", "unknown"))

    async def write(self, body: bytes) -> None:
        """POST line protocol (nanosecond precision) to ``/write``."""
        params = {"db": self.database, "precision": "ns"}
        if self.retention_policy:
            params["rp"] = self.retention_policy
        response = await self._send("POST", "/write", params=params, content=body)
        _raise_for_status(response, "write")

    async def query(self, statements: list[str], database: bool = True) -> list[list[Series]]:
        """Run InfluxQL statements in one request; return the series of each, chunks merged."""
        params = {
            "q": ";\n".join(statements),
            "epoch": "ns",
            "chunked": "true",
            "chunk_size": "10000",
        }
        if database:
            params["db"] = self.database
            if self.retention_policy:
                params["rp"] = self.retention_policy
        response = await self._send("POST", "/query", data=params, headers=self._accept)
        if response.status_code == _NOT_ACCEPTABLE and "Accept" in self._accept:
            self._accept = {"Accept-Encoding": "identity"}
            response = await self._send("POST", "/query", data=params, headers=self._accept)
        _raise_for_status(response, "query")
        merged = _merge_chunks(_documents(response))
        return [merged.get(number, []) for number in range(len(statements))]

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise HistorianUnavailable(
                f"InfluxDB at {self.url}: {type(exc).__name__}: {exc}"
            ) from exc


def _raise_for_status(response: httpx.Response, action: str) -> None:
    status = response.status_code
    if status < 300:
        return
    detail = _error_text(response)
    where = f"InfluxDB {action} ({status})"
    if status == 413:
        raise PayloadTooLarge(f"{where}: {detail}")
    if status == 429 or status >= 500:
        raise HistorianUnavailable(f"{where}: {detail}", _retry_after(response))
    if status == 404 and "database not found" in detail:
        raise DatabaseNotFound(f"{where}: {detail}")
    if status in _CONFIG_STATUSES:
        raise HistorianUnavailable(f"{where} {_CONFIG_STATUSES[status]}: {detail}")
    if action == "write":
        raise WriteRejected(f"{where}: {detail}")
    raise HistorianError(f"{where}: {detail}")


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text.strip() or response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _documents(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The documents of a chunked answer: a stream of MessagePack documents, or one JSON
    document per line."""
    if response.headers.get("Content-Type", "").startswith(_MSGPACK):
        yield from msgpack.Unpacker(io.BytesIO(response.content), raw=False)
        return
    for line in response.text.splitlines():
        if line.strip():
            yield json.loads(line)


def _merge_chunks(documents: Iterator[dict[str, Any]]) -> dict[int, list[Series]]:
    """Merge chunked results per statement id; a series split over chunks becomes one."""
    results: dict[int, list[Series]] = {}
    for document in documents:
        if "error" in document:
            raise HistorianError(f"InfluxDB query: {document['error']}")
        for result in document.get("results", []):
            if "error" in result:
                raise HistorianError(f"InfluxDB query: {result['error']}")
            merged = results.setdefault(result.get("statement_id", 0), [])
            for series in result.get("series", []):
                last = merged[-1] if merged else None
                if last is not None and _same_series(last, series):
                    last["values"].extend(series.get("values", []))
                else:
                    merged.append({**series, "values": list(series.get("values", []))})
    return results


def _same_series(one: Series, other: Series) -> bool:
    return (one["name"], one.get("tags")) == (other["name"], other.get("tags"))
