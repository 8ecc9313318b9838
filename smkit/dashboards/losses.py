"""Losses and TPM: the six big losses per day, MTBF and MTTR per day."""

from __future__ import annotations

from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.builders.common import StackingConfig
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.common import GraphDrawStyle, StackingMode

from smkit.dashboards.common import LOSS_HOURS, aliased, dashboard
from smkit.dashboards.influxql import PLACE_FILTER
from smkit.dashboards.panels import placed
from smkit.dashboards.texts import Lang, word
from smkit.historian.escape import quote_string
from smkit.plant.model import Plant

SIX = ("breakdowns", "setup", "small_stops", "idling", "reduced_speed")
"""Nakajima's six big losses; the two quality losses (start-up and production rejects, with
rework) are summed as one."""
QUALITY_LOSS = '(sum("startup_reject_s") + sum("production_reject_s") + sum("rework_s"))'


def losses(lang: Lang, plant: Plant) -> Dashboard:
    per_day = f"GROUP BY time(1d) fill(none) tz({quote_string(plant.site.timezone)})"
    where = f"WHERE $timeFilter AND {PLACE_FILTER}"
    six = {key: LOSS_HOURS[key] for key in SIX} | {"production_rejects": QUALITY_LOSS}
    stacked = StackingConfig().mode(StackingMode.NORMAL)
    big = (placed(timeseries.Panel(), word("six_losses", lang), (24, 10),
                  f'SELECT {aliased(six, lang, " / 3600")} FROM "oee" {where} {per_day}')
           .draw_style(GraphDrawStyle.BARS).stacking(stacked).fill_opacity(80)
           .unit("h"))  # fmt: skip
    mtbf_h, mttr_min = word("mtbf_h", lang), word("mttr_min", lang)
    daily = (
        f'SELECT (sum("running_s") + sum("failure_s")) / sum("failures") / 3600 AS "mtbf", '
        f'sum("failure_s") / sum("failures") / 60 AS "mttr", sum("failures") AS "failures" '
        f'FROM "oee" {where} {per_day}'
    )
    mtbf = placed(
        timeseries.Panel(),
        word("mtbf", lang),
        (24, 9),
        f'SELECT "mtbf" AS "{mtbf_h}", "mttr" AS "{mttr_min}" FROM ({daily}) WHERE "failures" > 0',
    )  # days without a failure have neither
    return dashboard("losses", lang, plant.site.timezone).with_panel(big).with_panel(mtbf)
