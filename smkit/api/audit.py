"""The audit trail: who changed what, when, from what to what. An entry is written in the same
transaction as the change it records; a request that changes nothing writes none."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smkit.api.store import connected


@dataclass(frozen=True)
class Change:
    """One change: ``action`` (``order.start``, ``finding.record``...), its ``target``
    (``order/WO-17``, ``machine/press-01``) and the target's state before and after (JSON)."""

    action: str
    target: str
    before: Any
    after: Any

    @property
    def changes_anything(self) -> bool:
        return bool(self.before != self.after)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at_ns: int
    who: str
    action: str
    target: str
    before: Any
    after: Any


def record(db: sqlite3.Connection, who: str, change: Change, at_ns: int) -> None:
    """Add the entry of ``change`` inside the caller's transaction."""
    db.execute(
        "INSERT INTO audit (at_ns, who, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)",
        (at_ns, who, change.action, change.target, _json(change.before), _json(change.after)),
    )


def entries(path: Path, target: str | None, after_seq: int, limit: int) -> list[AuditEntry]:
    """Entries after ``after_seq`` (oldest first), of ``target`` and what is under it
    (``machine/press-01`` also gives ``machine/press-01/...``) when given."""
    return _selected(path, ["seq > ?"], [after_seq], target, order="ORDER BY seq", limit=limit)


def newest(path: Path, action: str, target: str | None, before_seq: int | None,
           limit: int) -> list[AuditEntry]:  # fmt: skip
    """The newest entries of ``action`` (of ``target`` and what is under it when given) before
    ``before_seq``, newest first: a page of a change log read backwards."""
    conditions = ["action = ?"]
    params: list[Any] = [action]
    if before_seq is not None:
        conditions.append("seq < ?")
        params.append(before_seq)
    return _selected(path, conditions, params, target, order="ORDER BY seq DESC", limit=limit)


def _selected(path: Path, conditions: list[str], params: list[Any], target: str | None, *,
              order: str, limit: int) -> list[AuditEntry]:  # fmt: skip
    """The entries meeting ``conditions`` (and under ``target`` when given), in ``order``."""
    if target is not None:
        conditions = [*conditions, "(target = ? OR substr(target, 1, ?) = ?)"]
        params = [*params, target, len(target) + 1, target + "/"]
    query = ("SELECT seq, at_ns, who, action, target, before, after FROM audit WHERE "
             f"{' AND '.join(conditions)} {order} LIMIT ?")  # fmt: skip
    with connected(path) as db:
        rows = db.execute(query, (*params, limit)).fetchall()
    return [AuditEntry(seq, at, who, action, what, _load(before), _load(after))
            for seq, at, who, action, what, before, after in rows]  # fmt: skip


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)
