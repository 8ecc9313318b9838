"""Readiness: an enterprise's band and target per dimension and its overall index; the
programme's roll-up over every enterprise (``readiness`` records, ``smkit readiness score
--write``)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, table
from grafana_foundation_sdk.builders.dashboard import Dashboard

from smkit.dashboards.common import dashboard
from smkit.dashboards.influxql import tag_variable
from smkit.dashboards.panels import organise, placed
from smkit.dashboards.texts import Lang, word
from smkit.plant.model import Plant

CHOSEN = '"assessment" =~ /^$assessment$/'


def readiness(lang: Lang, plant: Plant) -> Dashboard:
    chosen = tag_variable("assessment", word("assessment", lang),
                          'SHOW TAG VALUES FROM "readiness" WITH KEY = "assessment"')  # fmt: skip
    band, target = word("band", lang), word("target", lang)
    bands = (placed(bargauge.Panel(), word("bands", lang), (16, 14),
                    f'SELECT last("band") AS "{band}", last("target") AS "{target}" FROM '
                    f"\"readiness\" WHERE {CHOSEN} AND \"dimension\" != 'overall' "
                    'GROUP BY "assessment", "dimension"')
             .min(0).max(5).decimals(0))  # fmt: skip
    overall = (placed(stat.Panel(), word("overall", lang), (8, 14),
                      f'SELECT last("index") FROM "readiness" WHERE {CHOSEN} '
                      "AND \"dimension\" = 'overall' GROUP BY \"assessment\"")
               .decimals(2).min(0).max(5))  # fmt: skip
    programme = placed(
        table.Panel(),
        word("programme", lang),
        (24, 14),
        'SELECT mean("band"), min("band"), max("band"), count("band") FROM '
        '(SELECT last("band") AS "band" FROM "readiness" WHERE '
        '"dimension" != \'overall\' GROUP BY "assessment", "dimension") '
        'GROUP BY "dimension"',
        fmt="table",
    ).with_transformation(organise({"dimension": word("dimension", lang)}))
    return (
        dashboard("readiness", lang, plant.site.timezone, places=None)
        .time("now-5y", "now")
        .with_variable(chosen)
        .with_panel(bands)
        .with_panel(overall)
        .with_panel(programme)
    )
