"""Shift report: a row per machine and shift, as smkit's ``oee`` records hold it."""

from __future__ import annotations

from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.builders.dashboard import Dashboard

from smkit.dashboards.common import dashboard
from smkit.dashboards.influxql import PLACE_FILTER
from smkit.dashboards.panels import organise, placed
from smkit.dashboards.texts import Lang, word
from smkit.plant.model import Plant

COLUMNS = ("day", "availability", "performance", "quality", "oee", "total", "good", "rejects",
           "final")  # fmt: skip


def shifts(lang: Lang, plant: Plant) -> Dashboard:
    fields = ", ".join(f'"{c}"' for c in COLUMNS)
    query = (
        f'SELECT {fields}, "planned_s" / 3600 AS "planned_h" FROM "oee" WHERE $timeFilter '
        f'AND {PLACE_FILTER} GROUP BY "line", "machine", "shift"'
    )
    names = {"line": word("line", lang), "machine": word("machine", lang),
             "shift": word("shift", lang), **{c: word(c, lang) for c in COLUMNS},
             "planned_h": word("planned_h", lang)}  # fmt: skip
    rows = placed(
        table.Panel(), word("shift_table", lang), (24, 20), query, fmt="table"
    ).with_transformation(organise(names))
    return dashboard("shifts", lang, plant.site.timezone).with_panel(rows)
