"""Writing a text file whole or not at all: a crash leaves the old file or the new one, never
half of one."""

from __future__ import annotations

import os
from pathlib import Path


def write_whole(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file beside it, fsync'd, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(target)
