"""Reading back from the server's history what changed while the collector was not listening.

A subscription only reports what changes while it exists: a collector restarted (or killed and
started again) or a lost session would leave a gap. Servers that keep history (a node's
``Historizing`` attribute is true) can fill it. The connector keeps a watermark, the newest
source time of a good value it has stored, in a small file beside the outbox (written after the
values are in the outbox, so it never runs ahead of them; a collector that never stored a value
writes where its first read-back begins). Each new session subscribes first,
then reads each historizing node's raw history from the watermark minus an overlap up to the
first value its new monitored item gave: values read twice are stored once (samples are keyed
by series and time). The overlap (``history_overlap``, a minute by default) covers values still
queued when the collector stopped that are older than the newest one stored. Until a session's
read-back is stored the mark is held where the gap began: the new session's live values would
otherwise move it, and a session lost during its read-back (a busy server drops them) would
leave the gap behind for good; the connector keeps how far each node got, so the next session
goes on from there. Nodes whose server keeps no history stay gaps, as before.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from asyncua import Client, ua

from smkit.core.timeunits import NS_PER_S

VALUES_PER_READ = 500
NODES_PER_READ = 10
"""At most 5,000 values per answer: a server (a PLC's, or a loaded one) answers each in time."""
WRITE_EVERY_S = 1.0
log = logging.getLogger("smkit.opcua")


class Watermark:
    """The newest source time stored for one source, kept in a file across restarts."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.newest_ns: int | None = None
        self._written_at = 0.0
        self._written_ns: int | None = None
        self._held_since: int | None = None
        if path is not None and path.exists():
            try:
                self.newest_ns = int(json.loads(path.read_text())["newest_ns"])
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("%s cannot be read; history is read back from the next value on", path)
        self._written_ns = self.newest_ns

    def stored(self, newest_ns: int) -> None:
        """Values up to ``newest_ns`` are in the outbox; written at most every second."""
        if self._held_since is not None:
            self._held_since = max(self._held_since, newest_ns)
            return
        if self.newest_ns is None or newest_ns > self.newest_ns:
            self.newest_ns = newest_ns
        if time.monotonic() - self._written_at >= WRITE_EVERY_S:
            self.flush()

    def begin(self, origin_ns: int) -> None:
        """A collector that never stored a value reads back from ``origin_ns`` (its first
        session's newest first live value), less the overlap. Written at once: a collector
        killed while it reads that back goes on from the same gap, not from its next session's
        first value."""
        if self.newest_ns is None:
            self.newest_ns = origin_ns
            self.flush()

    def hold(self) -> None:
        """A gap is open: until :meth:`release`, values stored do not move the mark. A session
        lost before its read-back is stored then reads the same gap back again; a mark moved by
        the live values of that session would have skipped it."""
        if self._held_since is None:
            self._held_since = self.newest_ns or 0

    def release(self) -> None:
        """The gap is filled and stored: the mark moves to the newest value stored meanwhile."""
        held, self._held_since = self._held_since, None
        if held:
            self._written_at = 0.0
            self.stored(held)

    def flush(self) -> None:
        if self.path is None or self.newest_ns is None or self.newest_ns == self._written_ns:
            return
        temporary = self.path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps({"newest_ns": self.newest_ns}))
            os.replace(temporary, self.path)
        except OSError as error:  # a full disk: the outbox reports it; the mark waits
            log.debug("watermark %s not written: %s", self.path, error)
            return
        self._written_at, self._written_ns = time.monotonic(), self.newest_ns


async def historizing(client: Client, node_ids: Sequence[ua.NodeId], per_call: int) -> list[Any]:
    """The nodes among ``node_ids`` whose server keeps their history."""
    kept = []
    for start in range(0, len(node_ids), per_call):
        chunk = node_ids[start : start + per_call]
        values = await client.read_attributes(
            [client.get_node(n) for n in chunk], ua.AttributeIds.Historizing
        )
        kept += [n for n, v in zip(chunk, values, strict=True) if v.Value and v.Value.Value]
    return kept


async def read_back(
    client: Client,
    starts: Mapping[Any, int],
    accept: Callable[[Any, Any], None],
    until: Callable[[Any], int | None] = lambda node_id: None,
    reached: Callable[[Any, int, bool], None] | None = None,
) -> int:
    """Every value of each node in ``starts`` from its start on, handed to
    ``accept(node_id, value)`` oldest first per node; returns how many. ``until(node_id)`` is
    where a node's read may end, once known: the time of the first value its new monitored item
    gave (the subscription has everything after it). A node whose end is not known yet is read
    on page by page and asked again each round. ``reached(node_id, ns, done)`` hears how far
    each node has been read, and when it is done, so that a session lost halfway lets the next
    one go on from there.

    The read goes in rounds, one page of every unfinished node per round, oldest first: a
    server that keeps a bounded history drops the oldest values first, and nodes read one
    after another would leave the last ones' starts to it. Nodes that stand at the same time
    (values sampled together) share one request. A read without an end would chase a busy
    server's newest values for as long as they come faster than the pages."""
    total = 0
    frontier = {node_id: _moment(ns) for node_id, ns in starts.items()}
    while frontier:
        for start, group in _same_start(frontier):
            for first in range(0, len(group), NODES_PER_READ):
                chunk = group[first : first + NODES_PER_READ]
                ends = [until(node_id) for node_id in chunk]
                known = [end for end in ends if end is not None]
                end = _moment(max(known) + 1000) if len(known) == len(ends) else None
                results = await client.uaclient.history_read(_request(chunk, start, end))
                for node_id, result, node_end in zip(chunk, results, ends, strict=True):
                    count, after, full = _take(node_id, result, accept)
                    total += count
                    done = not full or (node_end is not None and _ns(after) > node_end)
                    if reached is not None and (count or done):
                        reached(node_id, _ns(after if count else start), done)
                    if done:
                        del frontier[node_id]
                    else:
                        frontier[node_id] = after
    return total


def _same_start(frontier: Mapping[Any, dt.datetime]) -> list[tuple[dt.datetime, list[Any]]]:
    """The nodes grouped by where each reads on, oldest first."""
    groups: dict[dt.datetime, list[Any]] = {}
    for node_id, start in frontier.items():
        groups.setdefault(start, []).append(node_id)
    return sorted(groups.items(), key=lambda item: item[0])


def _take(
    node_id: Any, result: Any, accept: Callable[[Any, Any], None]
) -> tuple[int, dt.datetime, bool]:
    """Hand over one node's page: how many values, where to read on (just after the last),
    and whether the page was full (more may follow)."""
    values = _data_values(result)
    for value in values:
        accept(node_id, value)
    last = values[-1].SourceTimestamp if values else None
    if last is None:
        return len(values), _moment(0), False
    after = last + dt.timedelta(microseconds=1)
    return len(values), after, len(values) >= VALUES_PER_READ


def _request(
    node_ids: Sequence[Any], start: dt.datetime, end: dt.datetime | None
) -> ua.HistoryReadParameters:
    """A raw-history read of ``node_ids`` from ``start`` to ``end`` (None: on from ``start``),
    paged by time: a server need not give continuation points."""
    details = ua.ReadRawModifiedDetails()
    details.IsReadModified = False
    details.StartTime = start
    details.EndTime = end or ua.get_win_epoch()  # the epoch: NumValuesPerNode from StartTime
    details.NumValuesPerNode = VALUES_PER_READ
    details.ReturnBounds = False
    parameters = ua.HistoryReadParameters()
    parameters.HistoryReadDetails = details
    parameters.TimestampsToReturn = ua.TimestampsToReturn.Both
    parameters.NodesToRead = [ua.HistoryReadValueId(NodeId=n) for n in node_ids]
    return parameters


def _data_values(result: Any) -> list[Any]:
    if result.StatusCode is not None and not result.StatusCode.is_good():
        return []
    data = result.HistoryData
    return [] if data is None else list(data.DataValues or [])


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _moment(ns: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


def _ns(moment: dt.datetime) -> int:
    if moment.tzinfo is None:  # asyncua gives naive UTC times
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // dt.timedelta(microseconds=1) * 1000


def since(watermark_ns: int, overlap_s: float) -> int:
    """Where reading back starts for a watermark."""
    return watermark_ns - round(overlap_s * NS_PER_S)
