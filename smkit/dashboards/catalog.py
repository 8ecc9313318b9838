"""Every dashboard in both languages, as Grafana's JSON, and the provisioning files that load
them: a data source with a fixed uid and a dashboard provider reading a folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from smkit.core.wholefile import write_whole
from smkit.dashboards.health import health
from smkit.dashboards.influxql import DATASOURCE_UID
from smkit.dashboards.losses import losses
from smkit.dashboards.machine import machine
from smkit.dashboards.overview import overview
from smkit.dashboards.readiness import readiness
from smkit.dashboards.shifts import shifts
from smkit.dashboards.texts import LANGS, Lang
from smkit.plant.model import Plant

BUILDERS: dict[str, Callable[[Lang, Plant], Dashboard]] = {
    "overview": overview, "machine": machine, "losses": losses, "shifts": shifts,
    "readiness": readiness, "health": health,
}  # fmt: skip
FOLDER_UID = "smkit"
JSON_FOLDER = "json"


def dashboards(plant: Plant) -> dict[str, dict[str, Any]]:
    """Each dashboard's JSON by file name (``overview-vi.json`` ...)."""
    out = {}
    for name, build in BUILDERS.items():
        for lang in LANGS:
            document = json.loads(json.dumps(build(lang, plant).build(), cls=JSONEncoder))
            out[f"{name}-{lang}.json"] = document
    return out


def datasource_file() -> dict[str, Any]:
    """The InfluxDB data source (InfluxQL), its address, database and token from the
    environment of Grafana's container (``.env``), never written here."""
    return {"apiVersion": 1, "datasources": [{
        "name": "smkit InfluxDB", "uid": DATASOURCE_UID, "type": "influxdb", "access": "proxy",
        "url": "${SMKIT_INFLUX_URL}", "jsonData": {
            "dbName": "${SMKIT_INFLUX_DATABASE}", "httpMode": "POST", "version": "InfluxQL",
            "httpHeaderName1": "Authorization"},
        "secureJsonData": {"httpHeaderValue1": "Token ${SMKIT_INFLUX_TOKEN}"},
        "editable": False,
    }]}  # fmt: skip


def provider_file(path: str) -> dict[str, Any]:
    """Grafana loads the dashboards of ``path`` (inside its container) into the smkit folder."""
    return {"apiVersion": 1, "providers": [{
        "name": "smkit", "folder": "smkit", "folderUid": FOLDER_UID, "type": "file",
        "disableDeletion": True, "allowUiUpdates": False, "updateIntervalSeconds": 60,
        "options": {"path": path, "foldersFromFilesStructure": False},
    }]}  # fmt: skip


def export(plant: Plant, out: Path, container_path: str = "/var/lib/grafana/dashboards/smkit"
           ) -> list[Path]:  # fmt: skip
    """Write the provisioning files and every dashboard under ``out``; the written paths."""
    files = {
        out / "provisioning" / "datasources" / "smkit.yaml": _yaml(datasource_file()),
        out / "provisioning" / "dashboards" / "smkit.yaml": _yaml(provider_file(container_path)),
    }
    for name, document in dashboards(plant).items():
        files[out / JSON_FOLDER / name] = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    for path, text in files.items():
        write_whole(path, text)
    return sorted(files)


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
