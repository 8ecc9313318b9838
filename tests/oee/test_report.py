"""The report rows, loss waterfall and Pareto are built by pure functions the CLI only renders."""

from __future__ import annotations

from fractions import Fraction

from smkit.oee.elements import Elements
from smkit.oee.report import pareto, report_rows, waterfall
from smkit.oee.rollup import Group
from tests.oee.helpers import CHANGE, FAULT, MIN

DAY = Elements(all_ns=480 * MIN, planned_ns=450 * MIN, running_ns=360 * MIN, setup_ns=30 * MIN,
               breakdown_ns=45 * MIN, small_stop_ns=15 * MIN, ideal_ns=300 * MIN,
               valuable_ns=285 * MIN, production_reject_ns=15 * MIN, total=300, good=285,
               rejects=15, failures=2, failure_ns=45 * MIN,
               downtime_by_reason={"F1": 45 * MIN, "C1": 30 * MIN,
                                   "(small_stop)": 15 * MIN})  # fmt: skip


def test_the_waterfall_adds_up_to_planned_time_and_the_pareto_to_all_downtime() -> None:
    steps = waterfall(DAY)
    assert sum(step.ns for step in steps) == DAY.planned_ns
    assert sum(step.share for step in steps) == 1
    assert steps[-1].name == "valuable (fully productive)" and steps[-1].ns == 285 * MIN
    ranked = pareto(DAY, [FAULT, CHANGE], "vi")
    assert [(e.reason, e.label) for e in ranked] == [("F1", "Hỏng"), ("C1", "Thay khuôn"),
                                                     ("(small_stop)", "")]  # fmt: skip
    assert ranked[0].share == Fraction(1, 2) and ranked[-1].cumulative == 1


def test_a_report_row_keeps_exact_kpis_and_says_why_one_is_missing() -> None:
    empty = Elements(all_ns=60 * MIN)
    rows = report_rows([Group("machine", "m1", "2026-11-23 A", 0, 1, DAY, ("m1",)),
                        Group("machine", "m1", "2026-11-23 B", 1, 2, empty, ("m1",))])  # fmt: skip
    full, idle = rows
    assert full.kpis["oee"].value == Fraction(285, 450) and full.planned_h == 7.5
    assert idle.kpis["oee"].value is None
    assert idle.as_json()["oee_missing"] == "no planned production time"
    assert full.as_json()["availability"] == 0.8 and full.as_json()["failures"] == 2
