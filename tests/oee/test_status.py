"""The current state of a machine from its state changes: its category, reason, and since when,
exact only when the change into it was read."""

from __future__ import annotations

import numpy as np

from smkit.oee.status import current_state
from smkit.oee.timeline import CATEGORY_CODE, StateChanges
from smkit.plant.machine import StateCategory


def test_a_state_held_since_before_the_read_is_not_called_exact() -> None:
    run, down = CATEGORY_CODE[StateCategory.RUNNING], CATEGORY_CODE[StateCategory.UNPLANNED_DOWN]
    changes = StateChanges(np.array([10, 20, 30], np.int64), np.array([down, run, run], np.int8),
                           np.array([1, 0, 0], np.int32), ("", "A-11"))  # fmt: skip
    found = current_state(changes, "AUTOMATIC")
    assert found is not None and (found.since_ns, found.since_exact) == (20, True)
    assert found.category is StateCategory.RUNNING and found.reason is None
    held = current_state(StateChanges(changes.ts[1:], changes.category[1:], changes.reason[1:],
                                      changes.reason_names), "AUTOMATIC")  # fmt: skip
    assert held is not None and (held.since_ns, held.since_exact) == (20, False)
    stopped = current_state(StateChanges(changes.ts[:1], changes.category[:1], changes.reason[:1],
                                         changes.reason_names), "ALARM")  # fmt: skip
    assert stopped is not None and stopped.reason == "A-11"
