"""Plant overview: OEE, A, P, Q per machine and line against targets, OEE per shift, state now."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from smkit.dashboards.common import KPI_SUMS, aliased, dashboard
from smkit.dashboards.influxql import PLACE_FILTER
from smkit.dashboards.panels import kpi_thresholds, organise, placed, state_mappings
from smkit.dashboards.texts import Lang, word
from smkit.plant.model import Plant

IN_RANGE = f"WHERE $timeFilter AND {PLACE_FILTER}"
STATE_NOW = (
    'SELECT last("category") AS "state" FROM "machine_state" WHERE '
    f'{PLACE_FILTER} AND time > ${{__to}}ms - 7d AND time <= ${{__to}}ms GROUP BY "machine"'
)
"""The state at the end of the range: the last change in the week before it."""


def overview(lang: Lang, plant: Plant) -> Dashboard:
    targets = plant.oee.targets
    kpis = aliased(KPI_SUMS, lang)
    by_machine = placed(table.Panel(), word("by_machine", lang), (16, 10),
                        f'SELECT {kpis} FROM "oee" {IN_RANGE} GROUP BY "line", "machine"',
                        fmt="table")  # fmt: skip
    by_machine = by_machine.unit("percentunit").decimals(1)
    for kpi in KPI_SUMS:
        by_machine = by_machine.override_by_name(word(kpi, lang), [
            DynamicConfigValue(id_val="thresholds", value=kpi_thresholds(kpi, targets).build()),
            DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
        ])  # fmt: skip
    by_machine = by_machine.with_transformation(
        organise({"line": word("line", lang), "machine": word("machine", lang)})
    )
    state = placed(stat.Panel(), word("state_now", lang), (8, 10), STATE_NOW).mappings(
        state_mappings(lang)
    )
    by_line = placed(
        stat.Panel(),
        word("by_line", lang),
        (24, 5),
        f'SELECT {kpis} FROM "oee" {IN_RANGE} GROUP BY "line"',
    )
    by_line = by_line.unit("percentunit").decimals(1).thresholds(kpi_thresholds("oee", targets))
    for kpi in KPI_SUMS:
        coloured = DynamicConfigValue(
            id_val="thresholds", value=kpi_thresholds(kpi, targets).build()
        )
        by_line = by_line.override_by_name(word(kpi, lang), [coloured])
    per_shift = placed(timeseries.Panel(), word("per_shift", lang), (24, 9),
                       f'SELECT "oee" FROM "oee" {IN_RANGE} GROUP BY "machine"')  # fmt: skip
    per_shift = per_shift.unit("percentunit").min(0).thresholds(kpi_thresholds("oee", targets))
    return (
        dashboard("overview", lang, plant.site.timezone)
        .description(word("overview_about", lang))
        .with_panel(by_machine)
        .with_panel(state)
        .with_panel(by_line)
        .with_panel(per_shift)
    )
