"""Panels as smkit's dashboards use them: Grafana's core panel types only, each fed by InfluxQL
targets, KPIs as fractions shown in percent against the plant's targets, states coloured alike
on every dashboard."""

from __future__ import annotations

from typing import Literal, TypeVar

from grafana_foundation_sdk.builders import (
    barchart,
    bargauge,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMapping,
    ValueMappingResult,
)

from smkit.dashboards.influxql import DATASOURCE, Influx
from smkit.dashboards.texts import Lang, word
from smkit.plant.model import KpiTargets

Fmt = Literal["time_series", "table"]
STATE_COLOURS = {"running": "green", "idle": "yellow", "unplanned_down": "red",
                 "setup": "blue", "planned_down": "purple", "not_scheduled": "transparent",
                 "unknown": "text"}  # fmt: skip
CORE_TYPES = frozenset({"stat", "table", "timeseries", "state-timeline", "bargauge", "barchart",
                        "row"})  # fmt: skip
"""Every panel type smkit uses: all of them ship with Grafana (no plugin)."""

P = TypeVar("P", stat.Panel, table.Panel, timeseries.Panel, statetimeline.Panel, bargauge.Panel,
            barchart.Panel)  # fmt: skip


def kpi_thresholds(kpi: str, targets: KpiTargets) -> ThresholdsConfig:
    """Red below 60 %, orange up to the plant's target (``oee.targets``, Nakajima's world-class
    levels unless set), green from it: the colours of smkit's pages."""
    target = float(getattr(targets, kpi))
    steps = [Threshold(None, "red"), Threshold(0.6, "orange"), Threshold(target, "green")]
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def state_mappings(lang: Lang) -> list[ValueMapping]:
    """Each state category in its colour and the reader's language."""
    options = {category: ValueMappingResult(text=word(category, lang), color=colour, index=n)
               for n, (category, colour) in enumerate(STATE_COLOURS.items())}  # fmt: skip
    return [ValueMap(options)]


def placed(panel: P, title: str, size: tuple[int, int], *queries: str,
           fmt: Fmt = "time_series") -> P:  # fmt: skip
    """A panel with its title, width and height (grid units) and InfluxQL targets."""
    width, height = size
    found: list[Builder[Dataquery]] = [Influx(q, fmt, chr(ord("A") + n))
                                       for n, q in enumerate(queries)]  # fmt: skip
    return panel.title(title).datasource(DATASOURCE).targets(found).span(width).height(height)


def organise(names: dict[str, str]) -> DataTransformerConfig:
    """Rename columns (and keep their order) for a table."""
    order = {name: n for n, name in enumerate(names)}
    return DataTransformerConfig(id_val="organize", options={"renameByName": names,
                                                             "indexByName": order})  # fmt: skip


def sort_by(field: str) -> DataTransformerConfig:
    return DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": field,
                                                                     "desc": True}]})  # fmt: skip
