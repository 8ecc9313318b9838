"""The dashboards' structure: stable unique uids, variables defined before they are used, every
query on the provisioned data source, core panel types only, every text in vi and en; and the
checked-in dashboards/ folder is what `smkit dashboards export` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from smkit.dashboards.catalog import dashboards, export
from smkit.dashboards.texts import keys, word
from smkit.plant import load_plant
from smkit.simulators.catalog import SCENARIOS
from tests.dashboards.grafana import panel_queries

REPOSITORY = Path(__file__).parents[2]
PLANT = SCENARIOS / "injection-moulding" / "plant.yaml"
GRAFANA_CORE = {
    "alertlist", "annolist", "barchart", "bargauge", "candlestick", "canvas", "dashlist",
    "datagrid", "flamegraph", "gauge", "geomap", "heatmap", "histogram", "logs", "news",
    "nodeGraph", "piechart", "row", "stat", "state-timeline", "status-history", "table", "text",
    "timeseries", "traces", "trend", "xychart",
}  # fmt: skip
"""The panel types built into Grafana 11 and 12 (public/app/plugins/panel), no plugin needed."""
BUILT_IN = {"__from", "__to", "__interval", "timeFilter"}
USED = re.compile(r"\$\{?(\w+)")


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    return dashboards(load_plant(PLANT))


def provisioned_uid() -> str:
    found = yaml.safe_load((REPOSITORY / "dashboards" / "provisioning" / "datasources" /
                            "smkit.yaml").read_text())  # fmt: skip
    (source,) = found["datasources"]
    return str(source["uid"])


def test_uids_are_unique_and_name_the_dashboard_and_language(built: dict[str, Any]) -> None:
    uids = [d["uid"] for d in built.values()]
    assert len(set(uids)) == len(uids) == 12  # six dashboards, in vi and en
    for name, document in built.items():
        assert document["uid"] == "smkit-" + name.removesuffix(".json")
        assert len(document["uid"]) <= 40  # Grafana's limit


def test_every_variable_is_defined_before_it_is_used(built: dict[str, Any]) -> None:
    for name, document in built.items():
        defined: set[str] = set()
        for variable in document.get("templating", {}).get("list", []):
            used = set(USED.findall(variable.get("query", ""))) - BUILT_IN
            assert used <= defined, (name, variable["name"], used - defined)
            defined.add(variable["name"])
        for panel, query in panel_queries(document):
            used = set(USED.findall(query)) - BUILT_IN
            assert used <= defined, (name, panel["title"], used - defined)


def test_every_panel_and_query_reads_the_provisioned_data_source(built: dict[str, Any]) -> None:
    uid = provisioned_uid()
    for document in built.values():
        for panel in document["panels"]:
            assert panel["datasource"] == {"type": "influxdb", "uid": uid}, panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid and target["rawQuery"] is True
        for variable in document.get("templating", {}).get("list", []):
            if variable["type"] == "query":
                assert variable["datasource"]["uid"] == uid


def test_only_core_panel_types(built: dict[str, Any]) -> None:
    types = {p["type"] for d in built.values() for p in d["panels"]}
    assert types <= GRAFANA_CORE, types - GRAFANA_CORE
    assert "state-timeline" in types


def test_every_text_is_in_vietnamese_and_english() -> None:
    for key in keys():
        assert word(key, "vi").strip() and word(key, "en").strip(), key
    texts = yaml.safe_load((REPOSITORY / "smkit" / "dashboards" / "texts.yaml").read_text())
    assert {key for key, text in texts.items() if set(text) != {"vi", "en"}} == set()


def test_the_checked_in_folder_is_what_export_writes(tmp_path: Path) -> None:
    written = export(load_plant(PLANT), tmp_path)
    again = f"run smkit dashboards export --plant {PLANT.relative_to(REPOSITORY)} --out dashboards"
    for path in written:
        checked_in = REPOSITORY / "dashboards" / path.relative_to(tmp_path)
        assert checked_in.read_text() == path.read_text(), f"{checked_in} differs: {again}"
    on_disk = {p.relative_to(REPOSITORY / "dashboards") for p in
               (REPOSITORY / "dashboards").rglob("*") if p.is_file()}  # fmt: skip
    assert on_disk >= {p.relative_to(tmp_path) for p in written}


def test_kpis_turn_green_at_the_plants_own_targets() -> None:
    plant = load_plant(PLANT)
    targets = plant.oee.targets.model_copy(update={"oee": 0.72, "quality": 0.995})
    found = dashboards(plant.model_copy(update={"oee": plant.oee.model_copy(
        update={"targets": targets})}))  # fmt: skip
    text = json.dumps(next(d for uid, d in found.items() if "overview" in uid))
    assert '"value": 0.72' in text and '"value": 0.995' in text
    assert '"value": 0.85' not in text  # the world-class default is gone
