"""Page sessions: an API key given once at sign-in becomes a random session id in a cookie.

The browser holds only the session id (HttpOnly, SameSite=Strict); the store holds its SHA-256,
the key it stands for and the session's CSRF token, which every form sends back. A session ends
when it is signed out, after ``api.session_idle`` without a request, or at once when its key is
revoked (the key is looked up on every request, so its role is always the current one).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from smkit.api.keys import ApiKey, key_of
from smkit.api.store import connected
from smkit.core.timeunits import NS_PER_S

COOKIE = "smkit_session"
RENEW_NS = 60 * NS_PER_S
"""How stale a session's last-seen time may get before a request writes it again."""


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its key (as it is now) and the token its forms must send."""

    key: ApiKey
    csrf: str

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


class Sessions:
    """The sessions in the API's store (``api.store``)."""

    def __init__(self, path: Path, idle_s: float) -> None:
        self.path = path
        self.idle_ns = round(idle_s * NS_PER_S)

    async def start(self, key: ApiKey) -> str:
        """A new session for ``key``; the id to put in the cookie."""
        session_id = secrets.token_urlsafe(32)

        def insert() -> None:
            with connected(self.path) as db:
                db.execute("DELETE FROM page_sessions WHERE seen_ns < ?",
                           (time.time_ns() - self.idle_ns,))  # fmt: skip
                db.execute("INSERT INTO page_sessions VALUES (?, ?, ?, ?)",
                           (_hash(session_id), key.id, secrets.token_urlsafe(32),
                            time.time_ns()))  # fmt: skip

        await asyncio.to_thread(insert)
        return session_id

    async def find(self, session_id: str) -> Session | None:
        """The live session with this id (its key still active), or None."""
        return await asyncio.to_thread(self._find, session_id)

    def _find(self, session_id: str) -> Session | None:
        now = time.time_ns()
        with connected(self.path) as db:
            row = db.execute("SELECT key_id, csrf, seen_ns FROM page_sessions WHERE hash = ?",
                             (_hash(session_id),)).fetchone()  # fmt: skip
            if row is None or row[2] < now - self.idle_ns:
                return None
            key = key_of(db, row[0])
            if key is None or key.revoked_ns is not None:
                return None
            if row[2] < now - RENEW_NS:
                db.execute("UPDATE page_sessions SET seen_ns = ? WHERE hash = ?",
                           (now, _hash(session_id)))  # fmt: skip
        return Session(key, row[1])

    async def end(self, session_id: str) -> None:
        def delete() -> None:
            with connected(self.path) as db:
                db.execute("DELETE FROM page_sessions WHERE hash = ?", (_hash(session_id),))

        await asyncio.to_thread(delete)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
