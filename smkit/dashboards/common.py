"""What every smkit dashboard has: a stable uid per language, the place variables, the site's
time zone, a refresh, the data source of :mod:`smkit.dashboards.influxql`."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from smkit.dashboards.influxql import place_variables
from smkit.dashboards.texts import Lang, word

KPI_SUMS = {
    "oee": 'sum("valuable_s") / sum("planned_s")',
    "availability": 'sum("running_s") / sum("planned_s")',
    "performance": 'sum("ideal_s") / sum("running_s")',
    "quality": 'sum("good") / sum("total")',
}
"""KPIs over several shifts: smkit's own elements summed, then divided (as the engine rolls
up; a percentage is never averaged). Plant.yaml's ``unknown_time: excluded`` is not applied."""
LOSS_HOURS = {
    "breakdowns": 'sum("breakdown_s")',
    "setup": 'sum("setup_s")',
    "small_stops": 'sum("small_stop_s")',
    "idling": 'sum("idle_s")',
    "planned_stops": 'sum("planned_stop_s")',
    "unknown": 'sum("unknown_s")',
    "reduced_speed": '(sum("running_s") - sum("ideal_s"))',
    "startup_rejects": 'sum("startup_reject_s")',
    "production_rejects": 'sum("production_reject_s")',
    "rework": 'sum("rework_s")',
}
"""The planned time lost, by Nakajima's losses, in hours (``/ 3600`` added where used)."""


def dashboard(name: str, lang: Lang, timezone: str, *, places: str | None = "oee") -> Dashboard:
    """A dashboard titled by ``name``'s text, uid ``smkit-<name>-<lang>``, with the place
    variables listing the tags of the measurement ``places`` (None: none)."""
    built = (Dashboard(word(name, lang)).uid(f"smkit-{name.replace('_', '-')}-{lang}")
             .tags(["smkit", lang]).timezone(timezone).time("now-24h", "now").refresh("1m")
             .editable())  # fmt: skip
    if places is not None:
        built = built.variables(place_variables(lang, places))
    return built


def aliased(expressions: dict[str, str], lang: Lang, scale: str = "") -> str:
    """``expr AS "label"`` for each, labelled in the reader's language."""
    return ", ".join(f'{expr}{scale} AS "{word(key, lang)}"' for key, expr in expressions.items())
