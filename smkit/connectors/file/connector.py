"""The file connector: a folder of exported CSV files into a sink, each row once, in file order.

Each look at the folder imports, in name order, every file matching the source's pattern that
is new, grew, or changed since it was read. Rows go to the sink in batches; the file's progress
moves after the batch is stored (see :mod:`~smkit.connectors.file.progress`). A row that cannot
be read goes, with ``file:line`` and the reason, to the unreadable-message store; the rest of the
file carries on. A second copy of a finished file is recognised by its hash and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import logging
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from smkit.connectors.common.bindings import Binding, bindings_of
from smkit.connectors.common.health import SourceHealth
from smkit.connectors.common.sink import Sink
from smkit.connectors.common.storing import Storing
from smkit.connectors.common.unreadable import (
    UnreadableMessage,
    UnreadableMessages,
    unreadable_message,
)
from smkit.connectors.contract import ConnectorContext
from smkit.connectors.file.export import ExportReader, sha256_of
from smkit.connectors.file.progress import FileProgress, ImportProgress
from smkit.connectors.file.rows import RowError, RowReader, targets_of
from smkit.connectors.file.times import time_parser
from smkit.core.sample import Sample
from smkit.plant.files import MACHINE_PLACEHOLDER, FileSource

DELIMITERS = ",;\t|"
log = logging.getLogger("smkit.file")


class FileConnector:
    """Imports the files of one ``kind: file`` source; ``imported`` is set after each full look."""

    def __init__(
        self,
        source: FileSource,
        bindings: Sequence[Binding],
        sink: Sink,
        *,
        unreadable: UnreadableMessages,
        progress_path: Path,
        zone: ZoneInfo,
    ) -> None:
        self.source = source
        self.sink = sink
        self.unreadable = unreadable
        self.progress_path = progress_path
        self.health = SourceHealth(source.id, str(source.path))
        self._storing = Storing(self.health)
        self.imported = asyncio.Event()
        self._targets = targets_of(bindings, source.decimal)
        self._machines = sorted({b.machine for b in bindings})
        self._parse_time = time_parser(source.time_format, zone)
        self._path_machine = _path_pattern(source.pattern)
        self._warned: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Import, then look again every ``watch`` (or wait for ``stop`` when 0)."""
        async with ImportProgress(self.progress_path) as progress:
            while not stop.is_set():
                await self._look(progress, stop)
                self.imported.set()
                if not self.source.watch:
                    await stop.wait()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.source.watch or None)
        self.health.stopped()

    async def _look(self, progress: ImportProgress, stop: asyncio.Event) -> None:
        folder = self.source.path
        if not folder.is_dir():
            self.health.went_down(f"folder {folder} not found", log)
            return
        self.health.came_up(log)
        glob = self.source.pattern.replace(MACHINE_PLACEHOLDER, "*")
        for path in sorted(p for p in folder.glob(glob) if p.is_file()):
            if stop.is_set():
                return
            await self._import(path, progress, stop)

    async def _import(self, path: Path, progress: ImportProgress, stop: asyncio.Event) -> None:
        name = path.relative_to(self.source.path).as_posix()
        known = await progress.of(name)
        status = path.stat()
        if known and known.done and (known.size, known.mtime_ns) == (
            status.st_size, status.st_mtime_ns,
        ):  # fmt: skip
            return
        machine = self._machine_of(name)
        if machine is None and self.source.columns.machine is None:
            return  # nothing in the file says whose rows they are (or no machine reads it)
        reader = await asyncio.to_thread(ExportReader, path, known)
        try:
            if await self._is_duplicate(name, reader, progress):
                return
            rows = await self._row_reader(name, reader, machine, progress)
            if rows is not None:
                await self._rows(name, reader, rows, progress, stop)
        finally:
            reader.close()

    def _machine_of(self, name: str) -> str | None:
        """The machine a file's path names, if the pattern says; None (warned) if unknown."""
        if self._path_machine is None:
            return self._machines[0] if len(self._machines) == 1 else None
        match = self._path_machine.fullmatch(name)
        machine = match.group("machine") if match else None
        if machine in self._machines:
            return machine
        if name not in self._warned:
            self._warned.add(name)
            log.warning(
                "source %s: %s names machine %r, which is not read from this source (%s); "
                "the file is left alone",
                self.source.id, name, machine, ", ".join(self._machines),
            )  # fmt: skip
        return None

    async def _is_duplicate(
        self, name: str, reader: ExportReader, progress: ImportProgress
    ) -> bool:
        if reader.resumed:
            return False
        twin = await progress.finished_with(await asyncio.to_thread(sha256_of, reader.path))
        if twin is None or twin == name:
            return False
        size, mtime_ns = reader.size_and_mtime()
        await progress.save(FileProgress(name, 0, 0, "", True, size, mtime_ns, twin))
        log.info("source %s: %s is the same as %s, already imported; skipped", self.source.id,
                 name, twin)  # fmt: skip
        return True

    async def _row_reader(
        self, name: str, reader: ExportReader, machine: str | None, progress: ImportProgress
    ) -> RowReader | None:
        """The reader of the file's rows, or None: header not written yet, or unreadable."""
        if not reader.header_complete() and self.source.watch:
            return None
        try:
            header = _split(_text(reader.header.rstrip(b"\r\n"), self.source.encoding),
                            self._delimiter(reader.header))  # fmt: skip
            return RowReader(self.source, header, self._targets, self._parse_time, machine)
        except RowError as error:
            await self.unreadable.put([self._unreadable(name, 1, reader.header, str(error))])
            self.health.delivered(0, messages=1, dead=1)
            size, mtime_ns = reader.size_and_mtime()
            await progress.save(
                FileProgress(name, 0, 0, "", True, size, mtime_ns)
            )  # read again only when the file changes
            return None

    def _delimiter(self, header: bytes) -> str:
        if self.source.delimiter is not None:
            return self.source.delimiter
        return max(DELIMITERS, key=lambda d: header.count(d.encode()))

    async def _rows(
        self,
        name: str,
        reader: ExportReader,
        rows: RowReader,
        progress: ImportProgress,
        stop: asyncio.Event,
    ) -> None:
        delimiter = self._delimiter(reader.header)
        hold = bool(self.source.watch)
        while not stop.is_set():
            lines = await asyncio.to_thread(reader.lines, self.source.batch_rows, hold_partial=hold)
            if not lines:
                await self._finish(name, reader, rows, progress)
                return
            samples, bad = await asyncio.to_thread(self._read, name, lines, rows, delimiter)
            read_to = FileProgress(name, reader.offset, reader.line, reader.prefix_sha256)
            await self._storing.until_stored(partial(self.sink.put, samples),
                                             partial(self.unreadable.put, bad),
                                             partial(progress.save, read_to))  # fmt: skip
            self.health.delivered(len(samples), messages=len(lines), dead=len(bad))

    async def _finish(
        self, name: str, reader: ExportReader, rows: RowReader, progress: ImportProgress
    ) -> None:
        """Read to the end: done, unless a line is still being written."""
        size, mtime_ns = reader.size_and_mtime()
        at = FileProgress(name, reader.offset, reader.line, reader.prefix_sha256)
        done = reader.offset == size
        await progress.save(dataclasses.replace(at, done=done, size=size, mtime_ns=mtime_ns))
        self._report_ignored(name, rows)

    def _read(
        self, name: str, lines: list[tuple[int, bytes]], rows: RowReader, delimiter: str
    ) -> tuple[list[Sample], list[UnreadableMessage]]:
        samples: list[Sample] = []
        bad: list[UnreadableMessage] = []
        for number, raw in lines:
            if not raw.strip():
                continue
            try:
                samples += rows.read(_split(_text(raw, self.source.encoding), delimiter))
            except RowError as error:
                bad.append(self._unreadable(name, number, raw, str(error)))
        return samples, bad

    def _unreadable(self, name: str, line: int, raw: bytes, reason: str) -> UnreadableMessage:
        return unreadable_message(self.source.id, f"{name}:{line}", raw, reason)

    def _report_ignored(self, name: str, rows: RowReader) -> None:
        ignored = rows.ignored
        for what, names in (("columns", ignored.columns), ("tags", ignored.tags),
                            ("machines", ignored.machines)):  # fmt: skip
            if names:
                shown = ", ".join(sorted(names)[:10]) + (", …" if len(names) > 10 else "")
                log.info("source %s: %s: %s no signal reads: %s", self.source.id, name, what, shown)


def _text(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise RowError(f"not {encoding} text (byte {error.start + 1})") from None


def _split(text: str, delimiter: str) -> list[str]:
    """One line's cells (quoted cells may hold the delimiter, not a line break)."""
    return next(csv.reader([text], delimiter=delimiter), [])


def _path_pattern(pattern: str) -> re.Pattern[str] | None:
    """A regular expression that finds the machine in a path matching ``pattern``."""
    if MACHINE_PLACEHOLDER not in pattern:
        return None
    before, after = pattern.split(MACHINE_PLACEHOLDER)
    return re.compile(_glob_regex(before) + r"(?P<machine>[^/]+?)" + _glob_regex(after))


def _glob_regex(part: str) -> str:
    escaped = re.escape(part)
    return escaped.replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")


def build(source: FileSource, context: ConnectorContext) -> FileConnector:
    """The :data:`~smkit.connectors.contract.ConnectorFactory` of ``kind: file``."""
    bindings = bindings_of(context.plant, source.id, name_if_no_address=True)
    zone = ZoneInfo(source.timezone or context.plant.site.timezone)
    return FileConnector(
        source,
        bindings,
        context.sink,
        unreadable=context.unreadable,
        progress_path=context.keep_path(source.id, ".files.db"),
        zone=zone,
    )
