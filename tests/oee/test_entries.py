"""People's stop reasons over the machine's: assigned, reclassified, split, given back; never
while running, never counting time twice."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.core.columns import Column
from smkit.oee.engine import compute
from smkit.oee.entries import with_entries
from smkit.oee.model import Settings
from smkit.oee.timeline import StateChanges
from smkit.plant.machine import StateCategory
from tests.oee.helpers import FAULT, MIN, T0, machine, period

RUNNING, DOWN = StateCategory.RUNNING, StateCategory.UNPLANNED_DOWN
CODES = ("F1", "F2", "J1", "J2")
REASONS = Settings(reasons={code: FAULT.model_copy(update={"code": code}) for code in CODES},
                   small_stop_ns=2 * MIN)  # fmt: skip
STATES = [(T0, RUNNING, ""), (T0 + 10 * MIN, DOWN, "F1"), (T0 + 40 * MIN, RUNNING, ""),
          (T0 + 50 * MIN, DOWN, ""), (T0 + 60 * MIN, RUNNING, "")]  # fmt: skip


def entries(*given: tuple[int, str]) -> Column:
    return Column(np.array([at for at, _ in given], np.int64), [text for _, text in given],
                  np.zeros(len(given), np.int8))  # fmt: skip


def by_reason(changes: StateChanges) -> dict[str, int]:
    data = dataclasses.replace(machine([]), states=changes)
    [e] = compute(data, [period(T0, T0 + 2 * 60 * MIN)], REASONS, T0 + 3 * 60 * MIN)
    return {code: ns for code, ns in e.downtime_by_reason.items() if ns}


def test_an_entry_at_a_stop_start_reclassifies_the_whole_stop() -> None:
    changed = with_entries(StateChanges.of(STATES), entries((T0 + 10 * MIN, "J1")))
    assert by_reason(changed) == {"J1": 30 * MIN, "(idle)": 10 * MIN}


def test_an_entry_inside_a_stop_splits_it_and_the_later_entry_ends_the_earlier() -> None:
    changed = with_entries(StateChanges.of(STATES), entries((T0 + 10 * MIN, "J1"),
                                                            (T0 + 25 * MIN, "J2")))  # fmt: skip
    assert by_reason(changed) == {"J1": 15 * MIN, "J2": 15 * MIN, "(idle)": 10 * MIN}


def test_an_entry_gives_a_reason_to_a_stop_the_machine_gave_none() -> None:
    changed = with_entries(StateChanges.of(STATES), entries((T0 + 50 * MIN, "J2")))
    assert by_reason(changed) == {"F1": 30 * MIN, "J2": 10 * MIN}


def test_an_empty_entry_gives_the_machine_reason_back() -> None:
    changed = with_entries(StateChanges.of(STATES), entries((T0 + 10 * MIN, "J1"),
                                                            (T0 + 20 * MIN, "")))  # fmt: skip
    assert by_reason(changed) == {"J1": 10 * MIN, "F1": 20 * MIN, "(idle)": 10 * MIN}


def test_an_entry_while_running_or_before_any_state_gives_nothing() -> None:
    original = StateChanges.of(STATES)
    for at in (T0 + 5 * MIN, T0 - MIN, T0 + 45 * MIN):
        assert by_reason(with_entries(original, entries((at, "J1")))) == by_reason(original)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 120), st.sampled_from(["", *CODES])), max_size=8),
    st.lists(st.tuples(st.integers(-5, 125), st.sampled_from(["", *CODES])), max_size=6),
)
def test_entries_only_relabel_stopped_time(
    states: list[tuple[int, str]], given_entries: list[tuple[int, str]]
) -> None:
    """However entries overlap, the running time and the whole of the stopped time stay as
    the machine's states make them: each instant of a stop has one reason."""
    changes = StateChanges.of([(T0 + m * MIN, RUNNING if not code else DOWN, code)
                               for m, code in states])  # fmt: skip
    ordered = sorted({m: code for m, code in given_entries}.items())
    changed = with_entries(changes, entries(*((T0 + m * MIN, code) for m, code in ordered)))
    data = dataclasses.replace(machine([]), states=changes)
    relabelled = dataclasses.replace(machine([]), states=changed)
    window = [period(T0, T0 + 2 * 60 * MIN)]
    [before] = compute(data, window, REASONS, T0 + 3 * 60 * MIN)
    [after] = compute(relabelled, window, REASONS, T0 + 3 * 60 * MIN)
    assert after.running_ns == before.running_ns
    assert sum(after.downtime_by_reason.values()) == sum(before.downtime_by_reason.values())
    assert after.breakdown_ns + after.small_stop_ns == before.breakdown_ns + before.small_stop_ns
