"""Shift calendars as declared in plant.yaml: local wall-clock times, later materialised in UTC."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from smkit.plant.base import ConfigModel, Identifier

MINUTES_PER_DAY = 24 * 60


class Weekday(StrEnum):
    """Day of the week on which a shift starts."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


def _parse_clock(value: object) -> dt.time:
    """Accept ``HH:MM`` or ``HH:MM:SS`` (YAML may hand us minutes since midnight for 06:00)."""
    if isinstance(value, dt.time):
        return value
    # YAML 1.1 reads an unquoted 06:00 as the sexagesimal integer 360.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MINUTES_PER_DAY:
        return dt.time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a local time HH:MM or HH:MM:SS, got {value!r}")


def _parse_end_clock(value: object) -> dt.time:
    """An end time may also be ``24:00``: the midnight that ends the day (00:00 of the next)."""
    if isinstance(value, str) and value.strip() in ("24:00", "24:00:00"):
        return dt.time(0, 0)
    if isinstance(value, int) and value == MINUTES_PER_DAY:  # unquoted 24:00 in YAML 1.1
        return dt.time(0, 0)
    return _parse_clock(value)


ClockTime = Annotated[dt.time, BeforeValidator(_parse_clock)]
EndClockTime = Annotated[dt.time, BeforeValidator(_parse_end_clock)]


def minute_of_day(clock: dt.time) -> float:
    """Minutes since local midnight, with seconds as a fraction."""
    return clock.hour * 60 + clock.minute + clock.second / 60


class Break(ConfigModel):
    """A break inside a shift, in local time; it is not planned production time."""

    start: ClockTime
    end: EndClockTime


class Shift(ConfigModel):
    """A shift pattern. ``end`` before ``start`` means the shift runs past midnight; ``end``
    equal to ``start`` is a 24-hour shift (one shift a day: ``start: "06:00", end: "06:00"``,
    or ``start: "00:00", end: "24:00"``)."""

    id: Identifier
    start: ClockTime
    end: EndClockTime
    days: list[Weekday] = Field(default_factory=lambda: list(Weekday))
    breaks: list[Break] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_times(self) -> Shift:
        for number, pause in enumerate(self.breaks):
            if not (self._contains(pause.start) and self._contains(pause.end, closing=True)):
                raise ValueError(
                    f"breaks[{number}] ({pause.start}-{pause.end}) must lie inside the shift "
                    f"({self.start}-{self.end})"
                )
        return self

    @property
    def length_minutes(self) -> float:
        """Length of the shift in minutes, counting past midnight for overnight shifts (and
        24 hours when it ends at the time it starts)."""
        span = minute_of_day(self.end) - minute_of_day(self.start)
        return span if span > 0 else span + MINUTES_PER_DAY

    def _contains(self, clock: dt.time, closing: bool = False) -> bool:
        offset = minute_of_day(clock) - minute_of_day(self.start)
        if offset < 0 or (closing and offset == 0):
            offset += MINUTES_PER_DAY
        return 0 <= offset <= self.length_minutes


class PlannedDowntime(ConfigModel):
    """A planned stop (maintenance, trial, cleaning) in local time, and the machines it covers."""

    start: dt.datetime
    end: dt.datetime
    reason: str | None = None
    lines: list[Identifier] = Field(default_factory=list)
    machines: list[Identifier] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_order(self) -> PlannedDowntime:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(
                "start and end are local times of the site: write them without an offset"
            )
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Calendar(ConfigModel):
    """When production is planned: shifts, breaks, holidays and planned downtime, in local time."""

    shifts: list[Shift] = Field(min_length=1)
    holidays: list[dt.date] = Field(default_factory=list)
    planned_downtime: list[PlannedDowntime] = Field(default_factory=list)
