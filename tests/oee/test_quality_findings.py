"""Rework against scrap, quality findings reported late, and operator reasons that overlap
(reference/oee.md §7.3, cases 5 and 13), each with a hand-made case read through plant.yaml."""

from __future__ import annotations

from fractions import Fraction

from smkit.core.sample import Quality, Sample
from smkit.oee.elements import Elements, flags, kpis
from smkit.oee.engine import compute
from smkit.oee.inputs import machine_data
from smkit.oee.runner import settings_of
from smkit.plant import parse_plant
from smkit.plant.model import Plant
from tests.oee.helpers import MIN, T0, period

HOUR = 60 * MIN
PLANT = """\
site:
  id: s1
  timezone: UTC
  calendar: days
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: m1
              products: [{id: p1, ideal_cycle_time_s: 20}, {id: p2, ideal_cycle_time_s: 30}]
              state_map: modes
              signals:
                - {name: mode, role: state, type: str}
                - {name: why, role: reason}
                - {name: made, role: count_total}
                - {name: scrap, role: count_reject}
                - {name: rework, role: count_rework}
                - {name: product, role: product}
                - {name: qa_scrap, role: late_scrap}
                - {name: qa_rework, role: late_rework}
calendars:
  days:
    shifts:
      - {id: D, start: "00:00", end: "08:00"}
state_maps:
  modes: {kind: value, values: {AUTO: running, STOP: idle}}
reasons:
  - {code: E7, label: {vi: "Hỏng", en: "Broken"}, category: unplanned_down, is_failure: true}
  - {code: M3, label: {vi: "Thiếu vật tư", en: "No material"}, category: unplanned_down}
"""


def one_hour(plant: Plant, *samples: Sample) -> Elements:
    """The elements of the hour from T0 of machine m1, running all along, making p1, with 90
    units made in it: 5 scrap and 4 to rework by the counters."""
    m1 = next(m for _, m in plant.machines())
    base = [
        Sample("m1", "mode", T0, "AUTO"),
        Sample("m1", "product", T0, "p1"),
        *(Sample("m1", name, T0, 0) for name in ("made", "scrap", "rework")),
        Sample("m1", "made", T0 + HOUR, 90),
        Sample("m1", "scrap", T0 + HOUR, 5),
        Sample("m1", "rework", T0 + HOUR, 4),
    ]
    data = machine_data(m1, plant.state_maps["modes"], [*base, *samples])
    [e] = compute(data, [period(T0, T0 + HOUR)], settings_of(plant), T0 + 2 * HOUR)
    return e


def losses_add_up(e: Elements) -> bool:
    return sum(e.losses().values()) + Fraction(e.valuable_ns) == e.planned_ns


def test_rework_is_neither_good_nor_scrap_and_its_ideal_time_is_a_loss_of_its_own() -> None:
    e = one_hour(parse_plant(PLANT))
    assert (e.total, e.good, e.rejects, e.rework) == (90, 81, 5, 4)
    assert e.rework_ns == 4 * 20 * 10**9 and e.valuable_ns == 81 * 20 * 10**9
    k = kpis(e)
    assert k["quality"].value == Fraction(81, 90) == k["first_pass_yield"].value
    assert k["rework_ratio"].value == Fraction(4, 90)
    assert k["scrap_ratio"].value == Fraction(5, 90)
    assert losses_add_up(e)


def test_a_late_finding_moves_part_of_a_batch_from_good_to_scrap_or_rework() -> None:
    made_at = T0 + HOUR  # the QA check stamps the finding with the time the batch was counted
    e = one_hour(
        parse_plant(PLANT),
        Sample("m1", "qa_scrap", made_at, 30),
        Sample("m1", "qa_rework", made_at, 6),
    )
    assert (e.total, e.good, e.rejects, e.production_rejects, e.rework) == (90, 45, 35, 35, 10)
    assert e.valuable_ns == 45 * 20 * 10**9
    assert e.production_reject_ns == 35 * 20 * 10**9 and e.rework_ns == 10 * 20 * 10**9
    assert e.unapplied_adjustment == 0 and losses_add_up(e)


def test_a_late_finding_takes_the_ideal_time_of_the_product_made_then() -> None:
    e = one_hour(
        parse_plant(PLANT),
        Sample("m1", "made", T0 + 30 * MIN, 50),
        Sample("m1", "product", T0 + 31 * MIN, "p2"),  # the counters' scrap is p2: 30 s each
        Sample("m1", "qa_scrap", T0 + 30 * MIN, 10),  # made before the change: p1, 20 s each
    )
    assert e.production_rejects == 15
    assert e.production_reject_ns == (5 * 30 + 10 * 20) * 10**9
    assert losses_add_up(e)


def test_a_late_finding_larger_than_the_good_units_is_applied_whole_and_flagged() -> None:
    e = one_hour(parse_plant(PLANT), Sample("m1", "qa_scrap", T0 + HOUR, 100))
    assert e.good == -19 and e.production_rejects == 105 and e.unapplied_adjustment == 0
    assert losses_add_up(e)
    assert any("good count -19 is below zero" in flag for flag in flags(e))


def test_a_finding_outside_planned_time_or_not_a_number_of_units_is_reported_not_applied() -> None:
    plant = parse_plant(PLANT)
    m1 = next(m for _, m in plant.machines())
    samples = [
        Sample("m1", "mode", T0, "AUTO"),
        Sample("m1", "made", T0, 0),
        Sample("m1", "made", T0 + HOUR, 90),
        Sample("m1", "qa_scrap", T0 + 30 * MIN, 12),  # in the break
        Sample("m1", "qa_scrap", T0 + 40 * MIN, "a dozen"),
        Sample("m1", "qa_rework", T0 + 40 * MIN, -3),
        Sample("m1", "qa_rework", T0 + 45 * MIN, 2, Quality.BAD),
    ]
    data = machine_data(m1, plant.state_maps["modes"], samples)
    with_break = period(T0, T0 + HOUR, (T0 + 20 * MIN, T0 + 30 * MIN))
    [e] = compute(data, [with_break], settings_of(plant), T0 + 2 * HOUR)
    assert e.good == e.total and e.unapplied_adjustment == 12
    assert e.counter_anomalies == 3


def test_overlapping_operator_reasons_count_a_stop_once_under_the_first() -> None:
    plant = parse_plant(PLANT)
    e = one_hour(
        plant,
        Sample("m1", "mode", T0 + 10 * MIN, "STOP"),
        Sample("m1", "why", T0 + 15 * MIN, "E7"),  # entered late
        Sample("m1", "why", T0 + 20 * MIN, "M3"),  # a second entry over the same stop
        Sample("m1", "mode", T0 + 40 * MIN, "AUTO"),
        Sample("m1", "why", T0 + 40 * MIN, ""),
    )
    assert e.downtime_by_reason == {"E7": 30 * MIN} and e.breakdown_ns == 30 * MIN
    assert e.running_ns + e.breakdown_ns == e.planned_ns == HOUR
    assert 0 <= kpis(e)["availability"].value == Fraction(1, 2)
