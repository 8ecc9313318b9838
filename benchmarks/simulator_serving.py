"""How long serving an 8-hour shift of a 10-machine plant takes at speed 'max', per protocol.

The plant is the injection-moulding shop grown to ten presses. Measured in the same run:

* the machine model and its signal values alone (no serving): the floor for every outlet;
* the OPC UA server (asyncua) writing every value;
* MQTT to a local Mosquitto: JSON per signal (QoS 1 and 0), documents per machine (QoS 1)
  and Sparkplug B (QoS 0, as the specification publishes data);
* baseline: a bare paho client publishing the same number of JSON-sized QoS 1 messages
  (the client library's own limit on this machine).

Target (issue #3): an 8-hour shift of a 10-machine scenario in under a minute.

Usage: python benchmarks/simulator_serving.py [--hours H] [--only opcua,json,document,sparkplug]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from smkit.localservers import LocalMosquitto, free_port
from smkit.simulators.catalog import SCENARIOS
from smkit.simulators.live import MAX
from smkit.simulators.mqtt_client import MAX_IN_FLIGHT, MAX_UNACKNOWLEDGED, BrokerSettings
from smkit.simulators.mqtt_publisher import MqttOptions
from smkit.simulators.opcua_options import OpcUaOptions
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario, load_scenario
from smkit.simulators.serve import ServeOptions, serve
from smkit.simulators.signals import signal_values

PRESSES = 10


def ten_presses(folder: Path) -> LoadedScenario:
    """The shipped moulding shop with ten presses (copies of its four, in turn)."""
    source = SCENARIOS / "injection-moulding"
    plant: dict[str, Any] = yaml.safe_load((source / "plant.yaml").read_text())
    scenario: dict[str, Any] = yaml.safe_load((source / "scenario.yaml").read_text())
    line = plant["site"]["areas"][0]["lines"][0]
    templates = line["machines"]
    behaviours = scenario["machines"]
    line["machines"], scenario["machines"] = [], {}
    for number in range(1, PRESSES + 1):
        template = templates[(number - 1) % len(templates)]
        machine_id = f"press-{number:02d}"
        line["machines"].append({**template, "id": machine_id})
        scenario["machines"][machine_id] = behaviours[template["id"]]
    (folder / "plant.yaml").write_text(yaml.safe_dump(plant, allow_unicode=True))
    scenario["plant"] = "plant.yaml"
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario, allow_unicode=True))
    return load_scenario(folder / "scenario.yaml")


def model_only(loaded: LoadedScenario, hours: float) -> tuple[float, int]:
    started = time.perf_counter()
    log = simulate(loaded, 1, hours * 3600)
    count = sum(1 for _ in signal_values(loaded.scenario, loaded.plant, log))
    return time.perf_counter() - started, count


async def served(loaded: LoadedScenario, hours: float, **outlet: Any) -> tuple[float, int]:
    options = ServeOptions(seed=1, duration_s=hours * 3600, speed=MAX, **outlet)
    started = time.perf_counter()
    report = await serve(loaded, options)
    return time.perf_counter() - started, sum(report.served.values())


def bare_paho(url: str, messages: int) -> float:
    """Messages/s a bare paho client gets acknowledged at QoS 1 (the library's limit here),
    with the same in-flight window and queue bound as the simulator."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(MAX_IN_FLIGHT)
    acked = [0]
    client.on_publish = lambda *args: acked.__setitem__(0, acked[0] + 1)
    host, port = BrokerSettings(url).host_port
    client.connect(host, port)
    client.loop_start()
    payload = b'{"value":231.456,"ts":1795385400000}'
    started = time.perf_counter()
    for _ in range(messages):
        client.publish("im-shop/moulding/presses/press-01/melt_temp", payload, qos=1)
        while acked[0] < _ - MAX_UNACKNOWLEDGED:
            time.sleep(0.001)
    while acked[0] < messages:
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return messages / elapsed


def line(name: str, wall: float, values: int, hours: float) -> None:
    verdict = "meets" if wall < 60 else "MISSES"
    print(
        f"  {name:<34} {wall:7.2f} s wall  {values:>9,} values  {values / wall:>9,.0f} values/s"
        f"  x{hours * 3600 / wall:>6,.0f} real time  ({verdict} < 60 s)"
    )


async def main(hours: float, only: set[str]) -> None:
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        loaded = ten_presses(folder)
        print(f"serving {hours:g} simulated hours of {PRESSES} presses at speed max")
        wall, values = model_only(loaded, hours)
        line("model + signal values (floor)", wall, values, hours)
        broker = LocalMosquitto(folder / "mosquitto")
        broker.start()
        try:
            if "opcua" in only:
                opcua = OpcUaOptions(f"opc.tcp://127.0.0.1:{free_port()}")
                line("OPC UA server", *await served(loaded, hours, opcua=opcua), hours)
            outlets = [("json", 1), ("json", 0), ("document", 1), ("sparkplug", 0)]
            for fmt, qos in outlets:
                if fmt in only:
                    options = MqttOptions(BrokerSettings(broker.url), fmt, qos=qos)
                    result = await served(loaded, hours, mqtt=options)
                    line(f"MQTT {fmt} (QoS {qos})", *result, hours)
                    if (fmt, qos) == ("json", 1):
                        ours = result[1] / result[0]
                        limit = bare_paho(broker.url, 100_000)
                        print(
                            f"  {'baseline: bare paho, QoS 1':<34} {limit:>9,.0f} messages/s"
                            f"  (smkit JSON reaches {ours / limit:.2f}x of it)"
                        )
        finally:
            broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--only", default="opcua,json,document,sparkplug")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.hours, set(arguments.only.split(","))))
