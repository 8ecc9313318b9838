"""Worked examples computed by hand, reproduced exactly by the engine."""

from __future__ import annotations

from fractions import Fraction

from smkit.oee.elements import kpis
from smkit.oee.engine import compute
from smkit.oee.model import ProductSpec
from smkit.plant.machine import StateCategory
from tests.oee.helpers import MIN, SETTINGS, T0, S, cumulative, machine, period

RUNNING, DOWN = StateCategory.RUNNING, StateCategory.UNPLANNED_DOWN


def test_the_vorne_eight_hour_shift_gives_a_88_81_p_86_11_q_97_80_oee_74_79() -> None:
    """480 min shift, breaks 15 + 30 + 15 min, 47 min down, 1 s ideal, 19,271 made, 423 bad."""
    start = T0 + 6 * 60 * MIN
    breaks = [(start + 120 * MIN, start + 135 * MIN), (start + 240 * MIN, start + 270 * MIN),
              (start + 390 * MIN, start + 405 * MIN)]  # fmt: skip
    shift = period(start, start + 480 * MIN, *breaks)
    down_at = start + 300 * MIN
    data = machine(
        [(start - MIN, RUNNING, ""), (down_at, DOWN, "F1"), (down_at + 47 * MIN, RUNNING, "")],
        total=cumulative((start, 0), (start + 479 * MIN, 19_271)),
        rejects=cumulative((start, 0), (start + 479 * MIN, 423)),
    )
    [e] = compute(data, [shift], SETTINGS, horizon_ns=start + 600 * MIN)
    k = kpis(e)
    assert e.planned_ns == 420 * MIN and e.running_ns == 373 * MIN and e.breakdown_ns == 47 * MIN
    assert (e.total, e.good, e.rejects) == (19_271, 18_848, 423)
    assert k["availability"].value == Fraction(373, 420)
    assert k["performance"].value == Fraction(19_271, 373 * 60)
    assert k["quality"].value == Fraction(18_848, 19_271)
    assert k["oee"].value == Fraction(18_848, 420 * 60)
    shown = [round(float(k[n]) * 100, 2) for n in ("availability", "performance", "quality", "oee")]
    assert shown == [88.81, 86.11, 97.80, 74.79]
    assert (e.failures, e.failure_ns) == (1, 47 * MIN)
    assert e.downtime_by_reason == {"F1": 47 * MIN}
    assert sum(e.losses().values()) + e.valuable_ns == e.planned_ns


def test_a_multi_cavity_mould_and_a_product_change_price_each_unit_by_its_own_product() -> None:
    """Cap (9.6 s, 16 cavities) for an hour, then crate (52 s, 1 cavity) for an hour."""
    start = T0
    catalog = {"cap": ProductSpec(9_600_000_000, 16), "crate": ProductSpec(52 * S, 1)}
    data = machine(
        [(start, RUNNING, "")],
        total=cumulative(
            (start, 0), (start + 60 * MIN, 4_800), (start + 61 * MIN, 0), (start + 120 * MIN, 60)
        ),
        products=[(start, "cap"), (start + 60 * MIN + 30 * S, "crate")],
        catalog=catalog,
    )
    [e] = compute(data, [period(start, start + 120 * MIN)], SETTINGS, start + 130 * MIN)
    ideal = 4_800 * Fraction(9_600_000_000, 16) + 60 * 52 * S
    assert e.total == 4_860 and e.ideal_ns == ideal
    assert kpis(e)["performance"].value == ideal / (120 * MIN)
    assert e.counter_anomalies == 1, "the drop came with no order change the counter knows of"


def test_small_stops_are_classed_by_their_whole_length_even_across_the_period_end() -> None:
    start = T0
    end = start + 60 * MIN
    data = machine([
        (start, RUNNING, ""), (start + 10 * MIN, StateCategory.IDLE, ""),
        (start + 11 * MIN, RUNNING, ""), (end - 1 * MIN, StateCategory.IDLE, ""),
        (end + 5 * MIN, RUNNING, ""),
    ])  # fmt: skip
    first, second = compute(data, [period(start, end), period(end, end + 60 * MIN)], SETTINGS,
                            end + 120 * MIN)  # fmt: skip
    assert first.small_stop_ns == 1 * MIN, "a 1-minute stop is small (threshold 2 min)"
    assert first.idle_ns == 1 * MIN, "the last minute belongs to a 6-minute stop: idling"
    assert second.idle_ns == 5 * MIN and second.small_stop_ns == 0
    alone = compute(data, [period(start, end)], SETTINGS, end + 120 * MIN)[0]
    assert alone == first, "the same hour computed alone"
