"""Page sessions: only a hash is stored; a session ends when idle too long, when its key is
revoked, or when it is signed out."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.web.sessions import Sessions


async def test_a_session_stands_for_its_key_until_idle_revoked_or_ended(tmp_path: Path) -> None:
    store = tmp_path / "api.db"
    keys = KeyStore(store)
    key, _ = keys.create("line 2 tablet", Role.OPERATOR, ["line-2"])
    sessions = Sessions(store, idle_s=0.5)
    first = await sessions.start(key)
    found = await sessions.find(first)
    assert found is not None and found.key == key and found.csrf_matches(found.csrf)
    assert not found.csrf_matches("") and not found.csrf_matches(None)
    with sqlite3.connect(store) as db:
        stored = [row[0] for row in db.execute("SELECT hash FROM page_sessions")]
    assert first not in stored and len(stored) == 1
    assert await sessions.find("made-up") is None

    await asyncio.sleep(0.6)
    assert await sessions.find(first) is None  # idle too long

    second = await sessions.start(key)
    third = await sessions.start(key)
    await sessions.end(third)
    assert await sessions.find(third) is None
    assert await sessions.find(second) is not None
    keys.revoke(key.id)
    assert await sessions.find(second) is None
