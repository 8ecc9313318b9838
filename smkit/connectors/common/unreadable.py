"""Messages a connector could not read: kept, with the reason, in an SQLite file of their own.

A bad payload must never stop the flow, and must not vanish either: it is stored here (durably,
before its MQTT acknowledgement, or before a file's progress moves past it) with its source,
its origin (the MQTT topic, or ``file:line``), the first ``KEEP_BYTES`` of the payload and why it
was refused; ``smkit outbox dead-letters`` shows them. These are messages no
connector could read; the outbox's *dead letters* are samples the historian refused. Two
stores, two names.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from smkit.core.lifetime import AsyncClosing
from smkit.core.sqlitefile import SqliteFile, transaction
from smkit.errors import OutboxError

KEEP_BYTES = 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS dead_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_ns INTEGER NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    payload     BLOB NOT NULL,
    size        INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class UnreadableMessage:
    """One refused message."""

    received_ns: int
    source: str
    origin: str
    payload: bytes
    size: int
    reason: str


class UnreadableMessages(AsyncClosing):
    """The file of a collector's unreadable messages (``<outbox>.dead.db``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = SqliteFile(self.path, _SCHEMA, _error)

    async def put(self, messages: list[UnreadableMessage]) -> None:
        """Store refused messages; return once they are durable."""
        if messages:
            await self._file.run(lambda db: _insert(db, messages))

    async def recent(self, limit: int = 100) -> list[UnreadableMessage]:
        """The newest refused messages, newest first."""
        rows = await self._file.run(
            lambda db: db.execute(
                "SELECT received_ns, source, origin, payload, size, reason FROM dead_messages "
                "ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        )
        return [UnreadableMessage(*row) for row in rows]

    async def count(self) -> int:
        """How many refused messages are kept."""
        row = await self._file.run(
            lambda db: db.execute("SELECT count(*) FROM dead_messages").fetchone()
        )
        return int(row[0])

    async def close(self) -> None:
        """Close the file."""
        await self._file.close()


def unreadable_message(source: str, origin: str, payload: bytes, reason: str) -> UnreadableMessage:
    """A refused message as kept: its payload cut to ``KEEP_BYTES``, stamped now."""
    return UnreadableMessage(
        time.time_ns(), source, origin, payload[:KEEP_BYTES], len(payload), reason
    )


def _insert(db: sqlite3.Connection, messages: list[UnreadableMessage]) -> None:
    with transaction(db):
        db.executemany(
            "INSERT INTO dead_messages (received_ns, source, origin, payload, size, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(m.received_ns, m.source, m.origin, m.payload, m.size, m.reason) for m in messages],
        )


def _error(error: sqlite3.Error) -> OutboxError:
    return OutboxError(f"unreadable-message file: {error}")
