"""Properties of the engine on generated machines: bounds, identities, window invariance,
indifference to duplicated and reordered samples."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.core.sample import Sample
from smkit.oee.elements import Elements, flags, kpis, total
from smkit.oee.engine import compute
from smkit.oee.inputs import machine_data
from smkit.oee.model import Adjustments, Period
from smkit.plant import parse_plant
from smkit.plant.machine import StateCategory
from tests.oee.helpers import MIN, SETTINGS, T0, S, cumulative, machine, period

HOUR = 60 * MIN
DAY = 24 * HOUR
STATES = [StateCategory.RUNNING, StateCategory.IDLE, StateCategory.UNPLANNED_DOWN,
          StateCategory.SETUP, StateCategory.PLANNED_DOWN, StateCategory.UNKNOWN]  # fmt: skip

changes = st.lists(
    st.tuples(
        st.integers(-HOUR // S, 3 * DAY // S),
        st.sampled_from(STATES),
        st.sampled_from(["", "F1", "C1", "X9"]),
    ),
    min_size=0,
    max_size=80,
)
counts = st.lists(st.integers(0, 3 * DAY // S), max_size=60)


def shifts(days: range) -> list[Period]:
    """Three 8-hour shifts a day, each with a 30-minute break in its middle."""
    out = []
    for day in days:
        for number in range(3):
            start = T0 + day * DAY + number * 8 * HOUR
            out.append(period(start, start + 8 * HOUR, (start + 4 * HOUR, start + 270 * MIN)))
    return out


def build(raw: list[tuple[int, StateCategory, str]], made: list[int]) -> object:
    """A machine making 16 units at each of ``made``, some scrap (on a counter that resets
    now and then: an anomaly each time), some to rework, and a late finding at every third
    count (scrap or rework, 1 to 3 units)."""
    states = [(T0 + s * S, category, reason) for s, category, reason in raw]
    points = sorted(T0 + s * S for s in made)
    cumulative_points = [(ts, n * 16) for n, ts in enumerate(points)]
    rejects = [(ts, (n // 3) % 4) for n, ts in enumerate(points)]
    rework = [(ts, n // 5) for n, ts in enumerate(points)]
    found = [(ts, n % 3 + 1, n % 2 == 1) for n, ts in enumerate(points) if n % 3 == 2]
    findings = Adjustments(np.array([ts for ts, _, _ in found], dtype=np.int64),
                           np.array([units for _, units, _ in found], dtype=np.int64),
                           np.array([kind for _, _, kind in found], dtype=np.bool_))  # fmt: skip
    return machine(states, total=cumulative(*cumulative_points) if points else None,
                   rejects=cumulative(*rejects) if points else None,
                   rework=cumulative(*rework) if points else None,
                   adjustments=findings)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(changes, counts)
def test_time_elements_fill_planned_time_and_kpis_stay_in_bounds(
    raw: list[tuple[int, StateCategory, str]], made: list[int]
) -> None:
    results = compute(build(raw, made), shifts(range(3)), SETTINGS, T0 + 4 * DAY)  # type: ignore[arg-type]
    for e in results:
        parts = (e.running_ns + e.setup_ns + e.breakdown_ns + e.small_stop_ns + e.idle_ns
                 + e.planned_stop_ns + e.unknown_ns)  # fmt: skip
        assert parts == e.planned_ns == 450 * MIN
        assert sum(e.losses().values()) + e.valuable_ns == e.planned_ns
        if e.good < 0:  # late findings beyond the good units: flagged, KPIs not bounded
            assert any("below zero" in flag for flag in flags(e))
            continue
        k = kpis(e)
        for name in ("availability", "quality", "utilisation"):
            value = k[name].value
            assert value is None or 0 <= value <= 1, name
        if k["oee"].value is not None and k["performance"].value is not None:
            assert k["oee"].value == k["availability"].value * k["performance"].value * (
                k["quality"].value if k["quality"].value is not None else 1
            )
        assert k["oee"].value is None or k["oee"].value == Fraction(e.valuable_ns, e.planned_ns)


@settings(max_examples=100, deadline=None)
@given(changes, counts)
def test_a_day_alone_equals_that_day_inside_a_longer_window_and_the_sum_of_its_shifts(
    raw: list[tuple[int, StateCategory, str]], made: list[int]
) -> None:
    data = build(raw, made)
    horizon = T0 + 4 * DAY
    month = compute(data, shifts(range(3)), SETTINGS, horizon)  # type: ignore[arg-type]
    alone = compute(data, shifts(range(1, 2)), SETTINGS, horizon)  # type: ignore[arg-type]
    assert alone == month[3:6]
    day = Period(("day",), T0 + DAY, T0 + 2 * DAY,
                 tuple(piece for p in shifts(range(1, 2)) for piece in p.planned))  # fmt: skip
    [whole] = compute(data, [day], SETTINGS, horizon)  # type: ignore[arg-type]
    summed = total(alone)
    whole.all_ns = summed.all_ns
    assert whole == summed


@settings(max_examples=100, deadline=None)
@given(changes, counts, st.randoms(use_true_random=False))
def test_duplicated_and_reordered_state_changes_give_the_same_result(
    raw: list[tuple[int, StateCategory, str]], made: list[int], rng: random.Random
) -> None:
    unique = list({s: (s, c, r) for s, c, r in raw}.values())  # one change per instant
    noisy = unique + rng.sample(unique, len(unique) // 2)
    rng.shuffle(noisy)
    first = compute(build(unique, made), shifts(range(3)), SETTINGS, T0 + 4 * DAY)  # type: ignore[arg-type]
    second = compute(build(noisy, made), shifts(range(3)), SETTINGS, T0 + 4 * DAY)  # type: ignore[arg-type]
    assert first == second
    assert isinstance(first[0], Elements)


COUNTING = """\
site:
  id: s1
  timezone: UTC
  calendar: c
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: m1
              state_map: modes
              products: [{id: p1, ideal_cycle_time_s: 2}]
              signals:
                - {name: mode, role: state, type: str}
                - {name: made, role: count_total, counter: {rollover_bits: 16}}
                - {name: bad, role: count_reject}
state_maps:
  modes: {kind: value, values: {RUN: running, STOP: idle, SET: setup}}
calendars:
  c: {shifts: [{id: A, start: "00:00", end: "08:00"}, {id: B, start: "08:00", end: "16:00"}]}
"""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 16 * 3600), st.sampled_from(["RUN", "STOP", "SET"])),
             max_size=40),
    st.lists(st.integers(0, 16 * 3600), max_size=40),
    st.randoms(use_true_random=False),
)  # fmt: skip
def test_samples_duplicated_and_shuffled_give_the_same_kpis(
    modes: list[tuple[int, str]], counts: list[int], rng: random.Random
) -> None:
    plant = parse_plant(COUNTING)
    m1 = next(m for _, m in plant.machines())
    modes = list({s: (s, v) for s, v in modes}.values())
    samples = [Sample("m1", "mode", T0 + s * S, v) for s, v in modes]
    for n, s in enumerate(sorted(set(counts))):
        samples += [Sample("m1", "made", T0 + s * S, (n * 7) % 65_536),
                    Sample("m1", "bad", T0 + s * S, n // 4)]  # fmt: skip
    noisy = samples + rng.sample(samples, len(samples) // 2)
    rng.shuffle(noisy)
    windows = [period(T0, T0 + 8 * HOUR), period(T0 + 8 * HOUR, T0 + 16 * HOUR)]
    state_map = plant.state_maps["modes"]
    clean = compute(machine_data(m1, state_map, samples), windows, SETTINGS, T0 + DAY)
    messy = compute(machine_data(m1, state_map, noisy), windows, SETTINGS, T0 + DAY)
    assert clean == messy
