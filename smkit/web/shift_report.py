"""The shift report of a line: a row per machine and one for the line, from the OEE engine's
roll-up (the numbers ``GET /api/v1/oee`` serves), and its CSV and Excel downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from smkit.api.schemas.oee import kpi_values
from smkit.oee.elements import Elements, flags, kpis
from smkit.oee.report import waterfall
from smkit.oee.rollup import PeriodResult, roll_up

KPIS = ("availability", "performance", "quality", "oee")
TOP_LOSSES = 3


@dataclass(frozen=True)
class ShiftRow:
    """One machine (or the whole line) over the shift."""

    entity: str
    is_line: bool
    kpis: dict[str, float | None]
    planned_s: float
    running_s: float
    total: int
    good: int
    rejects: int
    rework: int
    losses: tuple[tuple[str, float], ...]
    """The largest losses: (waterfall step name, seconds)."""
    flags: tuple[str, ...]


def shift_rows(results: Sequence[PeriodResult], line: str, *,
               exclude_unknown: bool) -> list[ShiftRow]:  # fmt: skip
    """A row per machine of the results (all of ``line``), then the line's (summed before it
    is divided)."""
    machines = roll_up(results, "machine", "window")
    lines = roll_up(results, "line", "window")
    return [_row(g.entity, g.elements, is_line=False, exclude_unknown=exclude_unknown)
            for g in machines] + [_row(line, g.elements, is_line=True,
                                       exclude_unknown=exclude_unknown) for g in lines]  # fmt: skip


def _row(entity: str, e: Elements, *, is_line: bool, exclude_unknown: bool) -> ShiftRow:
    ratios = kpis(e, exclude_unknown=exclude_unknown)
    steps = sorted(((s.name, float(s.ns) / 1e9) for s in waterfall(e)[:-1] if s.ns > 0),
                   key=lambda step: -step[1])  # fmt: skip
    return ShiftRow(
        entity, is_line, kpi_values(ratios, KPIS),
        e.planned_ns / 1e9, e.running_ns / 1e9, e.total, e.good, e.rejects, e.rework,
        tuple(steps[:TOP_LOSSES]), tuple(flags(e)),
    )  # fmt: skip


def headers(t: Callable[[str], str]) -> list[str]:
    """The columns of the downloads, in the reader's language."""
    return [t("machine"), *(t(k) for k in KPIS), f"{t('planned_time')} (s)", "running (s)",
            t("total"), t("good"), t("rejects"), t("rework"), t("flags")]  # fmt: skip


def _cells(row: ShiftRow) -> list[object]:
    return [row.entity, *(row.kpis[k] for k in KPIS), round(row.planned_s, 3),
            round(row.running_s, 3), row.total, row.good, row.rejects, row.rework,
            "; ".join(row.flags)]  # fmt: skip


def as_csv(rows: Sequence[ShiftRow], t: Callable[[str], str]) -> bytes:
    """The rows as CSV: numbers written plainly (fractions of one, seconds) for any tool."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(t))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in _cells(row)])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read UTF-8


def as_xlsx(rows: Sequence[ShiftRow], t: Callable[[str], str], title: str) -> bytes:
    """The rows as an Excel workbook: KPIs as percentages, counts as numbers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "OEE"
    sheet.append([title])
    sheet.append(headers(t))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_cells(row))
        for column in range(2, 2 + len(KPIS)):
            sheet.cell(sheet.max_row, column).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
