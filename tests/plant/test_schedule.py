"""The calendar materialised into UTC: overnight shifts, breaks, holidays, downtime, DST days."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.plant.calendar import Calendar
from smkit.plant.schedule import shift_windows, subtract, to_utc_ns

H = 3600 * 1_000_000_000
M = 60 * 1_000_000_000


def utc(*parts: int) -> int:
    return to_utc_ns(dt.datetime(*parts), ZoneInfo("UTC"))  # type: ignore[arg-type]


def calendar(**fields: object) -> Calendar:
    return Calendar.model_validate(fields)


TWO_SHIFTS = calendar(
    shifts=[
        {"id": "day", "start": "06:00", "end": "14:00", "days": ["mon", "tue", "wed", "thu", "fri"],
         "breaks": [{"start": "10:00", "end": "10:30"}]},
        {"id": "night", "start": "22:00", "end": "06:00",
         "breaks": [{"start": "02:00", "end": "02:20"}]},
    ],
    holidays=["2026-09-02"],
    planned_downtime=[
        {"start": "2026-09-03T07:00:00", "end": "2026-09-03T08:00:00", "machines": ["cnc-01"]},
        {"start": "2026-09-03T12:00:00", "end": "2026-09-03T12:30:00", "lines": ["line-a"]},
    ],
)  # fmt: skip


def test_day_shift_in_ho_chi_minh_city() -> None:
    (window,) = [
        w
        for w in shift_windows(
            TWO_SHIFTS, "Asia/Ho_Chi_Minh", utc(2026, 8, 31, 17), utc(2026, 9, 1, 17)
        )
        if w.shift == "day"
    ]
    assert window.day == dt.date(2026, 9, 1)  # Tuesday
    assert (window.start, window.end) == (utc(2026, 8, 31, 23), utc(2026, 9, 1, 7))
    assert window.planned == (
        (utc(2026, 8, 31, 23), utc(2026, 9, 1, 3)),
        (utc(2026, 9, 1, 3, 30), utc(2026, 9, 1, 7)),
    )
    assert window.planned_ns == 7 * H + 30 * M


def test_overnight_shift_belongs_to_the_day_it_starts_and_its_break_is_after_midnight() -> None:
    nights = [
        w
        for w in shift_windows(
            TWO_SHIFTS, "Asia/Ho_Chi_Minh", utc(2026, 8, 31, 12), utc(2026, 9, 1, 12)
        )
        if w.shift == "night"
    ]
    (night,) = nights
    assert night.day == dt.date(2026, 8, 31)
    assert (night.start, night.end) == (utc(2026, 8, 31, 15), utc(2026, 8, 31, 23))
    assert night.planned == (
        (utc(2026, 8, 31, 15), utc(2026, 8, 31, 19)),
        (utc(2026, 8, 31, 19, 20), utc(2026, 8, 31, 23)),
    )


def test_weekdays_holidays_and_planned_downtime() -> None:
    zone = "Asia/Ho_Chi_Minh"
    week = shift_windows(
        TWO_SHIFTS, zone, utc(2026, 8, 30, 17), utc(2026, 9, 6, 17), machine="cnc-01", line="line-a"
    )
    days = [(w.day.isoformat(), w.shift) for w in week]
    assert ("2026-09-02", "day") not in days and ("2026-09-02", "night") not in days  # holiday
    assert ("2026-09-01", "night") in days  # the night before the holiday still happens
    assert ("2026-09-05", "day") not in days and (
        "2026-09-05",
        "night",
    ) in days  # Saturday: nights only
    thursday = next(w for w in week if w.day == dt.date(2026, 9, 3) and w.shift == "day")
    assert (
        thursday.planned_ns == 8 * H - 30 * M - 1 * H - 30 * M
    )  # break, machine downtime, line downtime
    elsewhere = next(
        w
        for w in shift_windows(
            TWO_SHIFTS,
            zone,
            utc(2026, 9, 2, 17),
            utc(2026, 9, 3, 17),
            machine="cnc-02",
            line="line-b",
        )
        if w.shift == "day"
    )
    assert elsewhere.planned_ns == 7 * H + 30 * M


def test_a_night_shift_over_the_spring_and_autumn_clock_changes() -> None:
    plain = calendar(
        shifts=[
            {"id": "n", "start": "22:00", "end": "06:00"},
            {"id": "d", "start": "06:00", "end": "14:00"},
        ]
    )
    spring = shift_windows(plain, "Europe/Berlin", utc(2026, 3, 28, 13), utc(2026, 3, 29, 14))
    autumn = shift_windows(plain, "Europe/Berlin", utc(2026, 10, 24, 12), utc(2026, 10, 25, 14))
    assert [(w.shift, (w.end - w.start) // H) for w in spring] == [("n", 7), ("d", 8)]
    assert [(w.shift, (w.end - w.start) // H) for w in autumn] == [("n", 9), ("d", 8)]
    assert spring[0].end == spring[1].start  # no gap and no overlap at the hand-over


def test_a_shift_starting_inside_the_spring_gap_starts_when_the_clocks_jump() -> None:
    odd = calendar(shifts=[{"id": "x", "start": "02:30", "end": "10:30"}])
    (window,) = shift_windows(odd, "Europe/Berlin", utc(2026, 3, 29), utc(2026, 3, 29, 12))
    assert window.start == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert window.end - window.start == 7 * H + 30 * M


def test_windows_are_clipped_to_the_range() -> None:
    windows = shift_windows(TWO_SHIFTS, "Asia/Ho_Chi_Minh", utc(2026, 9, 1, 1), utc(2026, 9, 1, 5))
    (window,) = windows
    assert (window.start, window.end) == (utc(2026, 9, 1, 1), utc(2026, 9, 1, 5))
    assert window.planned_ns == 4 * H - 30 * M


def test_subtract() -> None:
    assert subtract([(0, 100)], [(10, 20), (15, 30), (90, 200)]) == [(0, 10), (30, 90)]
    assert subtract([(0, 10), (20, 30)], []) == [(0, 10), (20, 30)]
    assert subtract([(0, 10)], [(0, 10)]) == []


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(0, 23 * 60 - 1),
    length=st.integers(30, 12 * 60),
    zone=st.sampled_from(["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    day=st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 20)),
)
def test_windows_never_overlap_and_planned_time_lies_inside(
    start: int, length: int, zone: str, day: dt.date
) -> None:
    end = (start + length) % (24 * 60)
    if end == start:
        return
    clock = [f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"]
    cal = calendar(shifts=[{"id": "s", "start": clock[0], "end": clock[1]}])
    begin = to_utc_ns(dt.datetime.combine(day, dt.time()), ZoneInfo(zone))
    windows = shift_windows(cal, zone, begin, begin + 10 * 24 * H)
    assert 9 <= len(windows) <= 11
    for earlier, later in pairwise(windows):
        assert earlier.end <= later.start
    for window in windows:
        assert all(window.start <= a < b <= window.end for a, b in window.planned)
        assert (
            abs((window.end - window.start) - length * M) <= H
            or window.start == begin
            or window.end == begin + 10 * 24 * H
        )
