"""How ``smkit oee report`` prints its rows: each row is rendered on its own (a JSON line, or
the cells of a table or CSV row) and the rows are then put in order and joined.

Rendering row by row lets a per-machine report render its rows in the processes that computed
them (:func:`~smkit.oee.parallel.report_parts`): building and encoding the rows of a month of
shifts was a fifth of the report's time, all of it in one process after both had finished.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from functools import partial
from operator import itemgetter

import orjson

from smkit.cli.common import json_lines, table
from smkit.oee.report import report_rows
from smkit.oee.rollup import Bucket, Group, PeriodResult, roll_up

KPI_COLUMNS = ("availability", "performance", "quality", "oee")
HEADERS = ["period", "entity", "planned_h", *KPI_COLUMNS, "total", "good", "flags"]
FORMATS = ("table", "csv", "json")

Rendered = bytes | list[str]
"""A row as one line of JSON (``json``) or as its cells (``table``, ``csv``)."""
Piece = tuple[int, str, Rendered]
"""(start of the row's span, its entity, the rendered row): what orders a roll-up's rows."""


def pieces(groups: Sequence[Group], fmt: str, *, exclude_unknown: bool = False) -> list[Piece]:
    """Each group's row, rendered for ``fmt``."""
    rows = report_rows(groups, exclude_unknown=exclude_unknown)
    out: list[Piece] = []
    for group, row in zip(groups, rows, strict=True):
        found = row.as_json()
        rendered: Rendered = orjson.dumps(found) if fmt == "json" else _cells(found)
        out.append((group.start, group.entity, rendered))
    return out


def machine_pieces(
    bucket: Bucket, fmt: str, *, exclude_unknown: bool = False
) -> Callable[[list[PeriodResult]], list[Piece]]:
    """What a chunk of machines' period results become in a per-machine report: its rows,
    rendered (a per-machine roll-up never adds results of two machines)."""
    return partial(_machine_pieces, bucket, fmt, exclude_unknown)


def _machine_pieces(
    bucket: Bucket, fmt: str, exclude_unknown: bool, results: list[PeriodResult]
) -> list[Piece]:
    return pieces(roll_up(results, "machine", bucket), fmt, exclude_unknown=exclude_unknown)


def joined(found: list[Piece], fmt: str) -> str:
    """The rows in a roll-up's order (time, then entity), as one text in ``fmt``."""
    ordered = sorted(found, key=itemgetter(0, 1))
    if fmt == "json":
        lines: list[bytes] = [rendered for _, _, rendered in ordered]  # type: ignore[misc]
        return json_lines(lines)
    cells: list[list[str]] = [rendered for _, _, rendered in ordered]  # type: ignore[misc]
    if fmt == "csv":
        return csv_text(HEADERS, cells)
    return table(HEADERS, cells, empty="no planned production in that window")


def csv_text(headers: list[str], cells: list[list[str]]) -> str:
    """A header line and the rows as CSV."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *cells])
    return buffer.getvalue().rstrip("\n")


def _cells(row: dict[str, object]) -> list[str]:
    return [str(row["period"]), str(row["entity"]), f"{row['planned_h']:.2f}",
            *(_percent(row[name]) for name in KPI_COLUMNS), str(row["total"]),
            str(row["good"]), "; ".join(row["flags"])]  # type: ignore[arg-type]  # fmt: skip


def _percent(value: object) -> str:
    return "—" if value is None else f"{float(value) * 100:.2f} %"  # type: ignore[arg-type]
