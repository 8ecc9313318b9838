"""Data health: the age of each machine's newest sample, the outbox backlog, samples stored per
second, dead letters, sources connected (``smkit_health`` records the collector writes)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, ThresholdsConfig
from grafana_foundation_sdk.models.dashboard import (
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

from smkit.collector import HEALTH_MEASUREMENT
from smkit.dashboards.common import dashboard
from smkit.dashboards.influxql import PLACE_FILTER
from smkit.dashboards.panels import organise, placed
from smkit.dashboards.texts import Lang, word
from smkit.plant.model import Plant

SILENT_S = (60.0, 300.0)
"""A machine's newest sample turns orange after a minute, red after five."""
FROM = f'FROM "{HEALTH_MEASUREMENT}" WHERE $timeFilter AND "part" = '


def health(lang: Lang, plant: Plant) -> Dashboard:
    stale = ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(None, "green"), Threshold(SILENT_S[0], "orange"),
         Threshold(SILENT_S[1], "red")])  # fmt: skip
    newest = (placed(table.Panel(), word("newest_sample", lang), (12, 10),
                     f'SELECT last("last_sample_age_s") AS "age" {FROM}\'machine\' AND '
                     f'{PLACE_FILTER} GROUP BY "line", "machine"', fmt="table")
              .unit("s").thresholds(stale)
              .with_transformation(organise({"line": word("line", lang),
                                             "machine": word("machine", lang)})))  # fmt: skip
    states = {"true": ValueMappingResult(text=word("connected", lang), color="green", index=0),
              "false": ValueMappingResult(text=word("disconnected", lang), color="red",
                                          index=1)}  # fmt: skip
    sources = (placed(stat.Panel(), word("sources", lang), (6, 5),
                      f'SELECT last("connected") {FROM}\'source\' GROUP BY "source"')
               .mappings([ValueMap(states)]))  # fmt: skip
    backlog = placed(stat.Panel(), word("backlog", lang), (6, 5),
                     f'SELECT last("backlog_samples") {FROM}\'outbox\'')  # fmt: skip
    rate = (placed(timeseries.Panel(), word("stored_rate", lang), (12, 8),
                   f'SELECT non_negative_derivative(max("delivered"), 1s) AS "samples/s" '
                   f"{FROM}'outbox' GROUP BY time($__interval) fill(none)")
            .unit("short").min(0))  # fmt: skip
    dead = placed(timeseries.Panel(), word("dead_letters", lang), (12, 8),
                  f'SELECT max("backlog_samples") AS "{word("backlog", lang)}", '
                  f'max("dead_letters") AS "{word("dead_letters", lang)}", '
                  f'max("dead_messages") AS "{word("unreadable", lang)}" '
                  f"{FROM}'outbox' GROUP BY time($__interval) fill(none)")  # fmt: skip
    return (dashboard("health", lang, plant.site.timezone, places=HEALTH_MEASUREMENT)
            .time("now-1h", "now")
            .refresh("10s").with_panel(newest).with_panel(sources).with_panel(backlog)
            .with_panel(rate).with_panel(dead))  # fmt: skip
