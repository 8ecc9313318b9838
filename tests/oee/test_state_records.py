"""State records: one per change of category or reason, inside the window asked for."""

from __future__ import annotations

from smkit.oee.state_records import STATE_MEASUREMENT, state_records
from smkit.oee.timeline import StateChanges
from smkit.plant.machine import StateCategory
from smkit.plant.model import MachinePlace

PLACE = MachinePlace(site="s", area="a", line="l")
RUN, DOWN = StateCategory.RUNNING, StateCategory.UNPLANNED_DOWN


def test_a_record_per_change_of_state_or_reason_inside_the_window() -> None:
    changes = StateChanges.of([(5, RUN, ""), (10, RUN, ""), (20, DOWN, "A-11"),
                               (25, DOWN, "A-11"), (30, DOWN, "A-24"), (40, RUN, ""),
                               (50, DOWN, "")])  # fmt: skip
    found = state_records(PLACE, "m1", changes, 10, 50)
    assert [(r.ts, r.fields["category"], r.fields["reason"]) for r in found] == [
        (20, "unplanned_down", "A-11"),
        (30, "unplanned_down", "A-24"),
        (40, "running", ""),
    ]
    assert {r.measurement for r in found} == {STATE_MEASUREMENT}
    assert found[0].tags == {"site": "s", "area": "a", "line": "l", "machine": "m1"}
    assert found[0].fields["code"] == list(StateCategory).index(DOWN)


def test_the_first_change_of_a_window_is_one_only_if_the_state_before_differs() -> None:
    changes = StateChanges.of([(5, RUN, ""), (10, DOWN, ""), (15, DOWN, "")])
    assert [r.ts for r in state_records(PLACE, "m1", changes, 10, 20)] == [10]
    assert [r.ts for r in state_records(PLACE, "m1", changes, 12, 20)] == []
