"""Machine: its state timeline, counts per shift, chosen process values, where its planned time
went (the losses) and its downtime Pareto."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, bargauge, statetimeline, timeseries
from grafana_foundation_sdk.builders.dashboard import CustomVariable, Dashboard
from grafana_foundation_sdk.models.common import VisibilityMode

from smkit.dashboards.common import LOSS_HOURS, aliased, dashboard
from smkit.dashboards.influxql import PLACE_FILTER
from smkit.dashboards.panels import organise, placed, sort_by, state_mappings
from smkit.dashboards.texts import Lang, word
from smkit.plant.machine import SignalRole
from smkit.plant.model import Plant

IN_RANGE = f"WHERE $timeFilter AND {PLACE_FILTER}"
TIMELINE = ('SELECT "category" AS "state" FROM "machine_state" WHERE '
            f"{PLACE_FILTER} AND time > ${{__from}}ms - 7d AND time <= ${{__to}}ms "
            'GROUP BY "machine"')  # fmt: skip
"""Every change in the range and the week before it, so the timeline starts with the state the
machine was already in (Grafana draws nothing before a series' first point)."""


def process_signals(plant: Plant) -> list[str]:
    """The process signals (temperatures, pressures, power) and cycle times: what a chart shows."""
    charted = (SignalRole.PROCESS, SignalRole.CYCLE_TIME)
    return sorted({s.name for _, m in plant.machines() for s in m.signals if s.role in charted})


def machine(lang: Lang, plant: Plant) -> Dashboard:
    signals = process_signals(plant)
    chosen = (CustomVariable("signal").label(word("signal", lang)).values(",".join(signals))
              .multi(True).include_all(True))  # fmt: skip
    timeline = (
        placed(statetimeline.Panel(), word("state_timeline", lang), (24, 8), TIMELINE)
        .mappings(state_mappings(lang))
        .show_value(VisibilityMode.NEVER)
    )
    counts = placed(timeseries.Panel(), word("counts", lang), (12, 8),
                    f'SELECT "total" AS "{word("total", lang)}", "good" AS "{word("good", lang)}", '
                    f'"rejects" AS "{word("rejects", lang)}" FROM "oee" {IN_RANGE} '
                    'GROUP BY "machine"')  # fmt: skip
    process = placed(timeseries.Panel(), word("process", lang), (12, 8),
                     f'SELECT mean(/^$signal$/) FROM "machine_data" {IN_RANGE} '
                     'GROUP BY time($__interval), "machine" fill(none)')  # fmt: skip
    valuable = {"valuable": 'sum("valuable_s")'}
    losses = (placed(bargauge.Panel(), word("waterfall", lang), (12, 10),
                     f'SELECT {aliased({**LOSS_HOURS, **valuable}, lang, " / 3600")} FROM "oee" '
                     f"{IN_RANGE}")
              .unit("h").decimals(2).min(0))  # fmt: skip
    pareto = (placed(barchart.Panel(), word("pareto", lang), (12, 10),
                     f'SELECT sum("duration_s") / 3600 AS "h" FROM "downtime" {IN_RANGE} '
                     'GROUP BY "reason"', fmt="table")
              .x_field("reason").unit("h")
              .with_transformation(sort_by("h"))
              .with_transformation(organise({"reason": "reason",
                                             "h": word("pareto", lang)})))  # fmt: skip
    return (
        dashboard("machine", lang, plant.site.timezone)
        .with_variable(chosen)
        .with_panel(timeline)
        .with_panel(counts)
        .with_panel(process)
        .with_panel(losses)
        .with_panel(pareto)
    )
