"""One SQLite file owned by one worker thread, which coroutines hand their work to.

sqlite3 calls block, and a connection belongs to the thread that made it. The outbox and the
SQLite historian therefore each keep a :class:`SqliteFile`: a single worker thread that opens
the file (WAL, ``synchronous=FULL``, the caller's schema) on first use and runs every function
given to :meth:`SqliteFile.run` with the connection, turning sqlite3 errors into smkit errors.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from smkit.errors import SmkitError

T = TypeVar("T")
P = ParamSpec("P")

ErrorMapper = Callable[[sqlite3.Error], SmkitError]


class SqliteFile:
    """An SQLite file and the one thread that may touch it (see the module docstring).

    ``synchronous=FULL`` makes every commit survive a power cut, which is what lets the outbox
    forget data once the historian has committed it.
    """

    def __init__(
        self,
        path: str | Path,
        schema: str,
        errors: ErrorMapper,
        on_open: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._schema = schema
        self._errors = errors
        self._on_open = on_open
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"smkit-{self.path.stem}"
        )
        self._db: sqlite3.Connection | None = None

    async def run(
        self,
        function: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``function(connection, *args)`` in the worker thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self._call(function, *args, **kwargs)
        )

    async def close(self) -> None:
        """Close the connection and stop the worker thread."""
        if self._db is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return function(self._connection(), *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._errors(exc) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(self._schema)
            if self._on_open is not None:
                self._on_open(db)
            self._db = db
        return self._db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection autocommits otherwise)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
