"""API keys: random, shown once, stored only as a SHA-256 hash in a SQLite file of their own.

A key reads ``smk_<id>_<secret>``: the id names it in lists and logs, the secret (32 random
bytes) is what proves it. A fast hash is enough for a random 256-bit secret (nobody can guess
its way to a match); a slow password hash would only slow every request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smkit.api.roles import Role
from smkit.api.store import connected
from smkit.errors import ConfigError, SmkitError

PREFIX = "smk_"


class UnknownKey(SmkitError):
    """No API key has this id."""


@dataclass(frozen=True)
class ApiKey:
    """What is known of a key, never its secret. ``lines`` (empty: every line) limits an
    operator's writes to those lines."""

    id: str
    name: str
    role: Role
    lines: tuple[str, ...]
    created_ns: int
    revoked_ns: int | None = None


class KeyStore:
    """The keys in the API's store (see :mod:`smkit.api.store`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: sqlite3.Connection | None = None
        self._version: int | None = None
        self._verified: dict[str, ApiKey] = {}

    def create(self, name: str, role: Role, lines: Sequence[str] = ()) -> tuple[ApiKey, str]:
        """A new key and its secret text (to show once)."""
        key, text = new_key(name, role, lines)
        with connected(self.path) as db:
            insert(db, key, text)
        return key, text

    def listed(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        with connected(self.path) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_ns").fetchall()
        return [_key(row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key for good (revoking it again changes nothing)."""
        with connected(self.path) as db:
            revoked(db, key_id, time.time_ns())
            found = key_of(db, key_id)
        if found is None:
            raise UnknownKey(f"no API key has the id {key_id!r} (see `smkit api-key list`)")
        return found

    def verify(self, text: str) -> ApiKey | None:
        """The active key this text is, or None.

        Keys found are kept until the file changes (``PRAGMA data_version`` on one reading
        connection tells): a request costs no query, and a revocation counts from the next one.
        """
        if not text.startswith(PREFIX):
            return None
        reader = self._reading()
        version = reader.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._verified.clear()
            self._version = version
        digest = _hash(text)
        if digest not in self._verified:
            row = reader.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE hash = ? AND revoked_ns IS NULL", (digest,)
            ).fetchone()
            if row is None:
                return None  # not kept: random keys sent by anyone must not fill memory
            self._verified[digest] = _key(row)
        return self._verified[digest]

    def _reading(self) -> sqlite3.Connection:
        if self._reader is None:
            with connected(self.path):  # the file and its tables exist from now on
                pass
            self._reader = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        return self._reader


_COLUMNS = "id, name, role, lines, created_ns, revoked_ns"


def new_key(name: str, role: Role, lines: Sequence[str] = ()) -> tuple[ApiKey, str]:
    """A key and its secret text, not stored yet."""
    if not name.strip():
        raise ConfigError("--name: a key needs a name saying who or what uses it")
    key = ApiKey(secrets.token_hex(4), name.strip(), role, tuple(lines), time.time_ns())
    return key, f"{PREFIX}{key.id}_{secrets.token_urlsafe(32)}"


def insert(db: sqlite3.Connection, key: ApiKey, text: str) -> None:
    """Store a new key (its hash) in the caller's transaction."""
    db.execute(
        "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
        (key.id, _hash(text), key.name, key.role.value, json.dumps(key.lines), key.created_ns),
    )


def revoked(db: sqlite3.Connection, key_id: str, at_ns: int) -> None:
    """Revoke a key in the caller's transaction (a revoked one stays as it was)."""
    db.execute(
        "UPDATE api_keys SET revoked_ns = ? WHERE id = ? AND revoked_ns IS NULL", (at_ns, key_id)
    )


def key_of(db: sqlite3.Connection, key_id: str) -> ApiKey | None:
    """The key with this id, revoked or not."""
    row = db.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)).fetchone()
    return None if row is None else _key(row)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _key(row: tuple[str, str, str, str, int, int | None]) -> ApiKey:
    key_id, name, role, lines, created_ns, revoked_ns = row
    return ApiKey(key_id, name, Role(role), tuple(json.loads(lines)), created_ns, revoked_ns)
