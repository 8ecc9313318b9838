"""Roll-ups: shifts and the gaps between them summed into days, ISO weeks and months."""

from __future__ import annotations

from smkit.oee.elements import Elements
from smkit.oee.periods import NO_SHIFT
from smkit.oee.rollup import PeriodResult, roll_up
from smkit.plant.model import MachinePlace

HOUR = 3600 * 10**9
PLACE = MachinePlace(site="s", area="a", line="l")


def result(machine: str, day: str, shift: str, start: int, planned_h: int) -> PeriodResult:
    elements = Elements(all_ns=8 * HOUR, planned_ns=planned_h * HOUR, running_ns=planned_h * HOUR)
    return PeriodResult(machine, PLACE, ("shift", day, shift), start, start + 8 * HOUR, elements)


RESULTS = [
    result("m1", "2026-11-29", "1", 0, 7),  # Sunday of ISO week 48
    result("m1", "2026-11-29", NO_SHIFT, 8 * HOUR, 0),
    result("m1", "2026-11-30", "1", 24 * HOUR, 7),  # Monday: week 49
    result("m1", "2026-12-01", "1", 48 * HOUR, 6),
    result("m2", "2026-12-01", "1", 48 * HOUR, 5),
]


def test_days_weeks_and_months_sum_shifts_and_gaps() -> None:
    days = {g.bucket: g.elements for g in roll_up(RESULTS, "machine", "day") if g.entity == "m1"}
    assert days["2026-11-29"].all_ns == 16 * HOUR, "the gap's calendar time is in the day"
    weeks = {g.bucket: g.elements.planned_ns for g in roll_up(RESULTS, "machine", "week")
             if g.entity == "m1"}  # fmt: skip
    assert weeks == {"2026-W48": 7 * HOUR, "2026-W49": 13 * HOUR}
    months = {
        (g.entity, g.bucket): g.elements.planned_ns for g in roll_up(RESULTS, "line", "month")
    }
    assert months == {("a/l", "2026-11"): 14 * HOUR, ("a/l", "2026-12"): 11 * HOUR}


def test_a_shift_report_leaves_the_gaps_out_and_a_line_adds_its_machines() -> None:
    shifts = roll_up(RESULTS, "line", "shift")
    assert [g.bucket for g in shifts] == ["2026-11-29 1", "2026-11-30 1", "2026-12-01 1"]
    assert shifts[-1].machines == ("m1", "m2") and shifts[-1].elements.planned_ns == 11 * HOUR
