"""The downtime event list: a worked example by hand, and on generated machines the events'
planned time per class and per reason equal to the time elements the engine computes."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.oee.engine import compute, timeline_of
from smkit.oee.model import Period
from smkit.oee.stops import Stop, stops
from smkit.plant.machine import StateCategory
from tests.oee.helpers import MIN, SETTINGS, T0, machine, period
from tests.oee.test_properties import DAY, HOUR, changes, shifts

RUN, IDLE, DOWN = StateCategory.RUNNING, StateCategory.IDLE, StateCategory.UNPLANNED_DOWN
SETUP = StateCategory.SETUP
ELEMENT_OF = {kind: f"{kind}_ns" for kind in
              ("setup", "breakdown", "small_stop", "idle", "planned_stop", "unknown")}  # fmt: skip


def test_a_shift_of_stops_worked_by_hand() -> None:
    """06:00-14:00 planned but for a 10:00-10:30 break. The machine runs from 05:00; a 1-minute
    stop at 07:00 (small), a fault 09:50-10:40 across the break, a changeover 12:00-12:25, a
    reasonless stop from 13:50 that is still going at the horizon (15:00)."""

    def at(hours: int, minutes: int = 0) -> int:
        return T0 + hours * HOUR + minutes * MIN

    data = machine([
        (at(5), RUN, ""), (at(7), IDLE, ""), (at(7, 1), RUN, ""), (at(9, 50), DOWN, "F1"),
        (at(10, 40), RUN, ""), (at(12), SETUP, "C1"), (at(12, 25), RUN, ""), (at(13, 50), IDLE, ""),
    ])  # fmt: skip
    shift = period(at(6), at(14), (at(10), at(10, 30)))
    line = timeline_of(data.states, shift.start, SETTINGS, at(15))

    found = stops(line, shift.planned, (shift.start, shift.end))

    assert found == [
        Stop(at(7), at(7, 1), MIN, "small_stop", "", False, False, False),
        Stop(at(9, 50), at(10, 40), 20 * MIN, "breakdown", "F1", True, False, False),
        Stop(at(12), at(12, 25), 25 * MIN, "setup", "C1", False, False, False),
        Stop(at(13, 50), at(15), 10 * MIN, "idle", "", False, False, True),
    ]
    assert found[1].length_ns == 50 * MIN


@settings(max_examples=120, deadline=None)
@given(changes, st.integers(0, 2))
def test_the_stops_of_a_day_add_up_to_its_time_elements(
    raw: list[tuple[int, StateCategory, str]], day: int
) -> None:
    data = machine([(T0 + s * 10**9, category, reason) for s, category, reason in raw])
    horizon = T0 + 3 * DAY + HOUR
    one_day = _day(day)
    planned = [i for p in shifts(range(day, day + 1)) for i in p.planned]
    (elements,) = compute(data, [one_day], SETTINGS, horizon)
    line = timeline_of(data.states, one_day.start, SETTINGS, horizon)

    found = stops(line, planned, (one_day.start, one_day.end))

    per_class = {name: 0 for name in ELEMENT_OF}
    per_reason: dict[str, int] = {}
    for stop in found:
        assert stop.planned_ns <= stop.length_ns
        per_class[stop.kind] += stop.planned_ns
        if stop.kind != "unknown":  # downtime by reason is the stops' (unknown time is apart)
            label = stop.reason or f"({stop.kind})"
            per_reason[label] = per_reason.get(label, 0) + stop.planned_ns
    assert per_class == {name: getattr(elements, field) for name, field in ELEMENT_OF.items()}
    assert per_reason == {k: v for k, v in elements.downtime_by_reason.items() if v}
    assert all(a.end_ns <= b.start_ns for a, b in itertools.pairwise(found))


def _day(day: int) -> Period:
    """The day's three shifts as one period with their planned time."""
    three = shifts(range(day, day + 1))
    planned = tuple(i for p in three for i in p.planned)
    return Period(("day", str(day)), three[0].start, three[-1].end, planned)
