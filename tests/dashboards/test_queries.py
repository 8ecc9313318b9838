"""Every panel's queries, with Grafana's macros and variables substituted as Grafana would, run
against a real influxd holding a simulated day and smkit's records of it: each returns data, and
the OEE the panels show equals the engine's."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from smkit.dashboards.catalog import dashboards
from smkit.dashboards.texts import word
from smkit.historian import open_historian
from smkit.oee.elements import kpis
from smkit.oee.periods import NO_SHIFT
from smkit.oee.rollup import PeriodResult, roll_up
from smkit.oee.runner import period_results
from tests.dashboards import grafana
from tests.dashboards.conftest import CollectedDay


def answers(day: CollectedDay, document: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """The series of the panel titled ``title``, its query substituted as Grafana would."""
    values = grafana.resolved(document, lambda q: values_of(day, q), day.window_ms)
    (query,) = [q for panel, q in grafana.panel_queries(document) if panel["title"] == title]
    (series,) = day.ask(grafana.substituted(query, values, day.window_ms))
    return series


def values_of(day: CollectedDay, query: str) -> list[str]:
    (series,) = day.ask(query)
    return [str(row[-1]) for s in series for row in s["values"]]


def engine(day: CollectedDay) -> list[PeriodResult]:
    async def compute() -> list[PeriodResult]:
        async with open_historian(day.plant) as historian:
            return await period_results(day.plant, historian, day.start_ns, day.end_ns,
                                        horizon_ns=day.end_ns)  # fmt: skip

    return [r for r in asyncio.run(compute()) if r.key[2] != NO_SHIFT]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_panel_query_returns_data(collected_day: CollectedDay, lang: str) -> None:
    for name, document in dashboards(collected_day.plant).items():
        if not name.endswith(f"-{lang}.json") or name.startswith("health-"):
            continue  # data health reads what a running collector writes: test_health.py
        values = grafana.resolved(document, lambda q: values_of(collected_day, q),
                                  collected_day.window_ms)  # fmt: skip
        for panel, query in grafana.panel_queries(document):
            substituted = grafana.substituted(query, values, collected_day.window_ms)
            assert re.search(r"\$[\w{]", substituted) is None, substituted  # all replaced
            (series,) = collected_day.ask(substituted)
            rows = [row for s in series for row in s["values"]]
            assert rows and all(any(v is not None for v in row[1:]) for row in rows), (
                name, panel["title"], substituted)  # fmt: skip


def test_the_oee_of_each_shift_is_the_engines(collected_day: CollectedDay) -> None:
    document = dashboards(collected_day.plant)["overview-en.json"]
    shown = {(s["tags"]["machine"], row[0]): row[1]
             for s in answers(collected_day, document, word("per_shift", "en"))
             for row in s["values"]}  # fmt: skip
    computed = {(r.machine, r.start): kpis(r.elements)["oee"].value for r in engine(collected_day)}
    assert shown.keys() == {k for k, v in computed.items() if v is not None}
    assert len(shown) == 12  # 4 presses, 3 shifts
    for key, value in shown.items():
        assert value == pytest.approx(float(computed[key]), rel=1e-12), key  # type: ignore[arg-type]


def test_the_kpis_over_the_range_are_the_engines_sums_divided(collected_day: CollectedDay) -> None:
    document = dashboards(collected_day.plant)["overview-en.json"]
    columns = {word(k, "en"): k for k in ("oee", "availability", "performance", "quality")}
    rolled = {g.entity: kpis(g.elements) for g in roll_up(engine(collected_day), "machine",
                                                          "window")}  # fmt: skip
    series = answers(collected_day, document, word("by_machine", "en"))
    assert {s["tags"]["machine"] for s in series} == set(rolled)
    for s in series:
        (row,) = s["values"]
        for column, value in zip(s["columns"][1:], row[1:], strict=True):
            expected = rolled[s["tags"]["machine"]][columns[column]].value
            assert expected is not None and value == pytest.approx(float(expected), rel=1e-9)


def test_the_state_timeline_starts_with_the_state_the_machine_was_in(
    collected_day: CollectedDay,
) -> None:
    """A window that starts between two changes still shows the state from its first instant
    (Grafana draws nothing before a series' first point)."""
    document = dashboards(collected_day.plant)["machine-en.json"]
    start_ms, end_ms = collected_day.window_ms
    window = (start_ms + 7 * 3_600_000 + 1234, end_ms)
    values = grafana.resolved(document, lambda q: values_of(collected_day, q), window)
    (query,) = [q for panel, q in grafana.panel_queries(document)
                if panel["title"] == word("state_timeline", "en")]  # fmt: skip
    (series,) = collected_day.ask(grafana.substituted(query, values, window))
    assert len(series) == 4
    for each in series:
        first_ns = each["values"][0][0]
        assert first_ns <= window[0] * 1_000_000, each["tags"]
