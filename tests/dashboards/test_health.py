"""The data-health dashboard over what a real collector wrote: collecting the simulated moulding
shop from Mosquitto into a real influxd, then every panel's query as Grafana would send it."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from smkit.collector import Collector
from smkit.core.timeunits import NS_PER_MS
from smkit.dashboards.catalog import dashboards
from smkit.dashboards.texts import word
from smkit.historian.influx_http import InfluxHttp
from smkit.localservers import LocalInflux, LocalMosquitto
from smkit.plant import load_plant
from tests.connectors.test_mqtt_collect import collecting_plant, finished, simulate
from tests.dashboards import grafana


async def test_every_health_panel_shows_what_a_running_collector_wrote(
    mosquitto_server: LocalMosquitto, influx_server: LocalInflux, tmp_path: Path
) -> None:
    path = collecting_plant(tmp_path, mosquitto_server.url)
    document = yaml.safe_load(path.read_text())
    database = f"health_{uuid.uuid4().hex[:8]}"
    document["historian"] = {"kind": "influx", "url": influx_server.url, "database": database}
    document["oee"] = {"every": 0}  # health only
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    plant = load_plant(path)
    began_ms = time.time_ns() // NS_PER_MS - 1000
    collector = Collector(plant)
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not collector.connectors[0].health.connected:
        await asyncio.sleep(0.1)
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "max", "--duration",
                               "20m")  # fmt: skip
    served, _ = await finished(simulator, tmp_path)
    while collector.forwarder.health.delivered < len(served):
        await asyncio.sleep(0.1)
    stop.set()
    await run
    window = (began_ms, time.time_ns() // NS_PER_MS + 1000)
    http = InfluxHttp(influx_server.url, database=database)
    try:
        shown = {}
        for lang in ("vi", "en"):
            shown |= await panels_shown(http, dashboards(plant)[f"health-{lang}.json"], window)
    finally:
        await http.close()
    machines = {s["tags"]["machine"] for s in shown[word("newest_sample", "en")]}
    assert machines == {"press-01", "press-02", "press-03", "press-04"}
    (backlog,) = shown[word("backlog", "en")]
    assert backlog["values"][-1][1] == 0  # everything stored by the end
    (sources,) = shown[word("sources", "en")]
    assert sources["tags"]["source"] == "shop-broker"


async def panels_shown(http: InfluxHttp, board: dict[str, Any], window: tuple[int, int]
                       ) -> dict[str, Any]:  # fmt: skip
    """Each panel's series by title, its query substituted as Grafana would; each has data."""

    async def values_of(query: str) -> list[str]:
        (series,) = await http.query([query])
        return [str(row[-1]) for s in series for row in s["values"]]

    resolved: dict[str, str] = {}
    for variable in board["templating"]["list"]:
        options = await values_of(grafana.substituted(variable["query"], resolved, window))
        resolved[variable["name"]] = grafana.formatted(options, variable)
    shown = {}
    for panel, query in grafana.panel_queries(board):
        substituted = grafana.substituted(query, resolved, window, interval="1s")
        (series,) = await http.query([substituted])
        assert series and all(s["values"] for s in series), (panel["title"], substituted)
        shown[panel["title"]] = series
    return shown
