"""One exported file read line by line from where its import stopped (blocking; run in a thread).

The reader hashes every byte it passes, so the progress it reports carries the hash of the
file's beginning (see :mod:`smkit.connectors.file.progress`). Line 1 is the header. While a
folder is watched, a last line without its newline is still being written and is left for the
next look.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

from smkit.connectors.file.progress import FileProgress

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """The hash of a whole file."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ExportReader:
    """Lines of one file after its header, from a start offset, with the hash of what is behind."""

    def __init__(self, path: Path, known: FileProgress | None) -> None:
        self.path = path
        self._file: BinaryIO = path.open("rb")
        self.header = b""
        self.offset = 0
        self.line = 0
        self._hash = hashlib.sha256()
        self.resumed = False
        """Whether reading continues an earlier import of this file rather than its start."""
        if known is None or not self._resume(known):
            self._restart()

    @property
    def prefix_sha256(self) -> str:
        """The hash of the bytes read so far (all of them once at the end)."""
        return self._hash.hexdigest()

    def size_and_mtime(self) -> tuple[int, int]:
        """The file as it is now (after reading to its end: what was read)."""
        status = self.path.stat()
        return status.st_size, status.st_mtime_ns

    def _restart(self) -> None:
        self._file.seek(0)
        self._hash = hashlib.sha256()
        self.header = self._file.readline()
        self._hash.update(self.header)
        self.offset, self.line = len(self.header), 1 if self.header else 0

    def _resume(self, known: FileProgress) -> bool:
        header = self._file.readline()
        digest = hashlib.sha256()
        self._file.seek(0)
        left = known.offset
        while left > 0 and (chunk := self._file.read(min(CHUNK, left))):
            digest.update(chunk)
            left -= len(chunk)
        if left or digest.hexdigest() != known.prefix_sha256:
            return False
        self.header, self._hash = header, digest
        self.offset, self.line, self.resumed = known.offset, known.line, True
        return True

    def header_complete(self) -> bool:
        """Whether the header line has its newline (an export being written may not yet)."""
        return self.header.endswith(b"\n")

    def lines(self, count: int, *, hold_partial: bool) -> list[tuple[int, bytes]]:
        """Up to ``count`` more (line number, line without its end) pairs; [] at the end."""
        found = []
        for _ in range(count):
            raw = self._file.readline()
            if not raw or (hold_partial and not raw.endswith(b"\n")):
                self._file.seek(self.offset)
                break
            self._hash.update(raw)
            self.offset += len(raw)
            self.line += 1
            found.append((self.line, raw.rstrip(b"\r\n")))
        return found

    def close(self) -> None:
        """Close the file."""
        self._file.close()
