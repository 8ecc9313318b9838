"""InfluxQL targets and the chained place variables every dashboard shares.

The foundation SDK has no InfluxDB query type, so :class:`InfluxQuery` is the one piece written
here: a raw InfluxQL target as Grafana's InfluxDB data source stores it. Every query reads what
smkit wrote (``oee``, ``downtime``, ``machine_state``, ``readiness`` records, ``machine_data``
samples) through the provisioned data source :data:`DATASOURCE_UID`.
"""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.builders.dashboard import QueryVariable
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableModel,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from smkit.dashboards.texts import Lang, word

DATASOURCE_UID = "smkit-influxdb"
DATASOURCE = DataSourceRef(type_val="influxdb", uid=DATASOURCE_UID)
PLACES = ("site", "area", "line", "machine")
PLACE_FILTER = " AND ".join(f'"{tag}" =~ /^${tag}$/' for tag in PLACES)
"""Every place variable as Grafana substitutes a multi-value one: a regex of its values."""


class InfluxQuery(cogvariants.Dataquery):
    """A raw InfluxQL target."""

    def __init__(self, ref_id: str, query: str, fmt: Literal["time_series", "table"]) -> None:
        self.ref_id = ref_id
        self.query = query
        self.fmt = fmt

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "datasource": DATASOURCE.to_json(), "query": self.query,
                "rawQuery": True, "resultFormat": self.fmt}  # fmt: skip


class Influx(cogbuilder.Builder[InfluxQuery]):
    """A builder of :class:`InfluxQuery`, as the SDK's panels take targets."""

    def __init__(self, query: str, fmt: Literal["time_series", "table"] = "time_series",
                 ref_id: str = "A") -> None:  # fmt: skip
        self._query = InfluxQuery(ref_id, query, fmt)

    def build(self) -> InfluxQuery:
        return self._query


def place_variables(lang: Lang, measurement: str = "oee") -> list[Builder[VariableModel]]:
    """site → area → line → machine, each listing the values of its tag under the ones chosen
    above it; several or all may be chosen."""
    out: list[Builder[VariableModel]] = []
    for depth, tag in enumerate(PLACES):
        above = " AND ".join(f'"{t}" =~ /^${t}$/' for t in PLACES[:depth])
        query = f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "{tag}"'
        out.append(tag_variable(tag, word(tag, lang), query + (f" WHERE {above}" if above else "")))
    return out


def tag_variable(name: str, label: str, query: str, *, multi: bool = True) -> QueryVariable:
    """A variable listing what ``query`` returns, every value chosen at first."""
    every = VariableOption(selected=True, text="All", value="$__all")
    return (QueryVariable(name).label(label).query(query).datasource(DATASOURCE)
            .multi(multi).include_all(multi).current(every)
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
            .sort(VariableSort.ALPHABETICAL_ASC))  # fmt: skip
