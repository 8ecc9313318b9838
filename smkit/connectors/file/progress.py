"""How far each file of a file source has been imported, kept in an SQLite file of its own.

A file's progress moves only after its rows are in the outbox (and its unreadable rows in their
store), so a crash re-reads at most one batch, which is harmless: samples are idempotent.
``prefix_sha256`` is the hash of the bytes before ``offset``: a file that still starts with them
was appended to and resumes; one that does not was replaced and is read again from the start.
``sha256`` of a finished file finds the same export saved under a second name.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smkit.core.lifetime import AsyncClosing
from smkit.core.sqlitefile import SqliteFile, transaction
from smkit.errors import OutboxError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path          TEXT PRIMARY KEY,
    offset        INTEGER NOT NULL,
    line          INTEGER NOT NULL,
    prefix_sha256 TEXT NOT NULL,
    done          INTEGER NOT NULL,
    size          INTEGER,
    mtime_ns      INTEGER,
    duplicate_of  TEXT
);
CREATE INDEX IF NOT EXISTS files_by_content ON files (prefix_sha256) WHERE done;
"""
_COLUMNS = "path, offset, line, prefix_sha256, done, size, mtime_ns, duplicate_of"
_SELECT_ONE = f"SELECT {_COLUMNS} FROM files WHERE path = ?"
_REPLACE = f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True)
class FileProgress:
    """One file: read up to ``offset`` (``line`` lines); ``done`` when read to its end."""

    path: str
    offset: int
    line: int
    prefix_sha256: str
    done: bool = False
    size: int | None = None
    mtime_ns: int | None = None
    duplicate_of: str | None = None


class ImportProgress(AsyncClosing):
    """The progress file of one file source (``<outbox>.<source>.files.db``)."""

    def __init__(self, path: str | Path) -> None:
        self._file = SqliteFile(path, _SCHEMA, _error)

    async def of(self, path: str) -> FileProgress | None:
        """The progress of one file, if it was ever started."""
        row = await self._file.run(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM files WHERE path = ?", (path,)
            ).fetchone()
        )
        return None if row is None else _progress(row)

    async def finished_with(self, sha256: str) -> str | None:
        """A finished file with exactly this content (not a duplicate itself), if there is one."""
        row = await self._file.run(
            lambda db: db.execute(
                "SELECT path FROM files WHERE done AND duplicate_of IS NULL AND prefix_sha256 = ?",
                (sha256,),
            ).fetchone()
        )
        return None if row is None else str(row[0])

    async def save(self, progress: FileProgress) -> None:
        """Record progress durably."""
        values = (
            progress.path, progress.offset, progress.line, progress.prefix_sha256,
            int(progress.done), progress.size, progress.mtime_ns, progress.duplicate_of,
        )  # fmt: skip
        await self._file.run(lambda db: _replace(db, values))

    async def close(self) -> None:
        """Close the file."""
        await self._file.close()


def _replace(db: sqlite3.Connection, values: tuple[object, ...]) -> None:
    with transaction(db):
        db.execute(
            f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values
        )


def _progress(row: Any) -> FileProgress:
    path, offset, line, prefix, done, size, mtime_ns, duplicate_of = row
    return FileProgress(path, offset, line, prefix, bool(done), size, mtime_ns, duplicate_of)


def _error(error: sqlite3.Error) -> OutboxError:
    return OutboxError(f"file-import progress: {error}")
