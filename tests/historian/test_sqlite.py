"""SQLite specifics: one writer process and reader processes on the same file at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from smkit.historian import SqliteHistorian
from tests.historian import sqlite_writer_process as writer

T0 = writer.T0


async def test_a_reader_process_reads_while_a_writer_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    batches = 150
    with subprocess.Popen(
        [sys.executable, writer.__file__, str(path), str(batches)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    ) as process:
        assert process.stdout is not None
        process.stdout.readline()  # the file exists and holds a first batch
        reader = SqliteHistorian(path)
        seen = []
        while process.poll() is None:
            samples = await reader.read_series(["m0", "m1", "m2", "m3"], T0, T0 + 10**9)
            seen.append(len(samples))
            committed = len(samples) // writer.PER_BATCH
            assert len(samples) == committed * writer.PER_BATCH  # whole transactions only
        assert process.wait() == 0
        final = await reader.read_series(["m0", "m1", "m2", "m3"], T0, T0 + 10**9)
        await reader.close()
    assert len(final) == batches * writer.PER_BATCH
    assert seen == sorted(seen) and len(set(seen)) > 3  # reads overlapped the writes
    assert sorted(s.value for s in final) == list(range(batches * writer.PER_BATCH))  # type: ignore[type-var]
