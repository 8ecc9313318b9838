"""End to end: the simulated moulding shop published over MQTT (JSON documents, one per machine
and instant) to a real Mosquitto,
collected into the SQLite historian, and the engine's per-shift A, P, Q and OEE checked against
the simulator's ground truth."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from smkit.collector import Collector
from smkit.historian.sqlite import SqliteHistorian
from smkit.localservers import LocalMosquitto
from smkit.oee.elements import kpis
from smkit.oee.runner import period_results, records, run_once
from smkit.plant import load_plant
from tests.connectors.test_mqtt_collect import (
    collecting_plant,
    finished,
    simulate,
)

KPIS = ("availability", "performance", "quality", "oee")


async def test_per_shift_kpis_of_a_collected_scenario_match_the_ground_truth(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    documents = {"topic": "{site}/{area}/{line}/{machine}",
                 "json": {"values": "values", "timestamp": "ts"}}  # fmt: skip
    path = collecting_plant(tmp_path, mosquitto_server.url, subscription=documents)
    document = yaml.safe_load(path.read_text())
    document["oee"] = {"small_stop_threshold": "120s"}  # the scenario's threshold
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    plant = load_plant(path)
    collector = Collector(plant)
    stop = asyncio.Event()
    run = asyncio.create_task(collector.run(stop))
    while not collector.connectors[0].health.connected:
        await asyncio.sleep(0.1)
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "max", "--duration",
                               "16h", "--seed", "11", fmt="document")  # fmt: skip
    served, truth = await finished(simulator, tmp_path)
    health = collector.connectors[0].health
    for _ in range(1200):
        if health.samples >= len(served) and (await collector.outbox.stats()).samples == 0:
            break
        await asyncio.sleep(0.1)
    assert health.samples == len(served) and health.dead == 0
    stop.set()
    await run
    historian = SqliteHistorian(tmp_path / "historian.db")
    try:
        results = await period_results(plant, historian, truth["start"], truth["end"],
                                       horizon_ns=truth["end"])  # fmt: skip
        written = await run_once(plant, historian, truth["start"], truth["end"],
                                 horizon_ns=truth["end"])  # fmt: skip
        again = await run_once(plant, historian, truth["start"], truth["end"],
                               horizon_ns=truth["end"])  # fmt: skip
        stored = await historian.read_records("oee", truth["start"], truth["end"])
    finally:
        await historian.close()
    computed = {(r.machine, r.key[1], r.key[2]): kpis(r.elements) for r in results}
    compared = 0
    for shift in truth["shifts"]:
        ours = computed[(shift["machine"], shift["day"], shift["shift"])]
        for name in KPIS:
            if shift[name] is None:
                assert ours[name].value is None, (shift["machine"], shift["day"], name)
                continue
            assert abs(float(ours[name]) - shift[name]) * 100 <= 0.1, (shift, name)
            compared += 1
    assert compared >= 4 * 2 * len(KPIS) - 4, "two shifts of four presses"
    assert written == again == len(records(results, truth["end"], 120 * 10**9))
    assert len(stored) == len({(r.machine, r.key) for r in results if r.key[2] != "-"})
