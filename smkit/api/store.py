"""The API's own SQLite file: API keys, job orders, the audit trail of every write, and the
pages' sign-in sessions.

Each use opens it briefly (WAL mode), so ``smkit api-key`` and a running server share it. A
write and its audit entry are one transaction: either both are stored or neither is.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from smkit.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    lines      TEXT NOT NULL,
    created_ns INTEGER NOT NULL,
    revoked_ns INTEGER
);
CREATE TABLE IF NOT EXISTS job_orders (
    id          TEXT PRIMARY KEY,
    document    TEXT NOT NULL,
    changed_ns  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ns   INTEGER NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    before  TEXT,
    after   TEXT
);
CREATE INDEX IF NOT EXISTS audit_target ON audit (target, seq);
CREATE TABLE IF NOT EXISTS page_sessions (
    hash       TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    seen_ns    INTEGER NOT NULL
);
"""


@contextlib.contextmanager
def connected(path: Path) -> Iterator[sqlite3.Connection]:
    """The store, open for one transaction (committed when the block ends without error)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # acknowledged writes survive a power cut
        db.executescript(SCHEMA)
    except sqlite3.Error as exc:
        raise ConfigError(f"API store {path}: {exc}") from exc
    try:
        with db:
            yield db
    finally:
        db.close()
