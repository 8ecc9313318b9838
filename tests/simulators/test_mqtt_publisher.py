"""The simulated MQTT publisher, against a real Mosquitto, read by a plain paho subscriber."""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from smkit.localservers import LocalMosquitto
from smkit.simulators.catalog import find_scenario
from smkit.simulators.chaos import Chaos, MqttChaos
from smkit.simulators.live import MAX
from smkit.simulators.mqtt_client import BrokerSettings
from smkit.simulators.mqtt_publisher import MqttOptions
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.serve import ServeOptions, ServeReport, serve
from tests.simulators.mqtt_recorder import Recorder

QUARTER_HOUR = 900.0


@pytest.fixture(scope="module")
def moulding() -> LoadedScenario:
    return find_scenario("injection-moulding")


async def publish_run(
    loaded: LoadedScenario,
    broker: LocalMosquitto,
    tmp_path: Path,
    fmt: str,
    *,
    chaos: Chaos | None = None,
    topic_filter: str = "#",
) -> tuple[list[tuple[str, bytes]], list[dict[str, Any]], ServeReport]:
    """Serve a quarter of an hour as fast as possible; what arrived, what was served, the report."""
    values = tmp_path / f"values-{fmt}.jsonl"
    options = ServeOptions(
        seed=11,
        duration_s=QUARTER_HOUR,
        speed=MAX,
        mqtt=MqttOptions(BrokerSettings(broker.url), fmt, qos=1),
        chaos=chaos or Chaos(),
        values_path=values,
    )
    with Recorder(broker.url, topic_filter) as recorder:
        report = await serve(loaded, options)
        messages = recorder.settle()
    served = [json.loads(line) for line in values.read_text().splitlines()]
    return messages, served, report


async def test_json_per_signal_every_value_once_on_its_plant_topic(
    moulding: LoadedScenario, mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    messages, served, report = await publish_run(
        moulding, mosquitto_server, tmp_path, "json", topic_filter="im-shop/#"
    )
    assert len(served) == report.served["mqtt"] > 1000
    got = Counter()
    for topic, payload in messages:
        document = json.loads(payload)
        got[(topic, document["ts"] * 1_000_000, json.dumps(document["value"]))] += 1
    want = Counter(
        (moulding.plant.address(v["machine"], v["signal"]), v["ts"], json.dumps(v["value"]))
        for v in served
    )
    assert got == want
    assert all(topic.startswith("im-shop/moulding/presses/press-0") for topic, _ in messages)


async def test_per_machine_documents_carry_every_value(
    moulding: LoadedScenario, mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    messages, served, _ = await publish_run(
        moulding, mosquitto_server, tmp_path, "document", topic_filter="im-shop/#"
    )
    got = Counter()
    for topic, payload in messages:
        document = json.loads(payload)
        machine = topic.rsplit("/", 1)[1]
        for signal, value in document["values"].items():
            got[(machine, signal, document["ts"] * 1_000_000, json.dumps(value))] += 1
    assert got == Counter(
        (v["machine"], v["signal"], v["ts"], json.dumps(v["value"])) for v in served
    )
    assert len(messages) < len(served), "values of one instant share a document"


async def test_bare_values_are_published_as_text(
    moulding: LoadedScenario, mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    messages, served, _ = await publish_run(
        moulding, mosquitto_server, tmp_path, "value", topic_filter="im-shop/#"
    )
    modes = [p.decode() for t, p in messages if t == "im-shop/moulding/presses/press-02/mode"]
    expected = [v["value"] for v in served if (v["machine"], v["signal"]) == ("press-02", "mode")]
    assert modes == expected and {"AUTOMATIC"} <= set(modes)
    temps = [float(p) for t, p in messages if t.endswith("press-01/melt_temp")]
    assert temps == [
        v["value"] for v in served if (v["machine"], v["signal"]) == ("press-01", "melt_temp")
    ]


async def test_chaos_injects_duplicates_swaps_and_malformed_payloads_and_records_them(
    moulding: LoadedScenario, mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    chaos = Chaos(mqtt=MqttChaos(duplicates=0.02, out_of_order=0.02, malformed=0.02))
    messages, served, report = await publish_run(
        moulding, mosquitto_server, tmp_path, "json", chaos=chaos, topic_filter="im-shop/#"
    )
    injected = report.chaos.counts()
    assert min(injected["duplicate"], injected["out_of_order"], injected["malformed"]) > 20
    good: Counter[tuple[str, int, str]] = Counter()
    arrivals: list[tuple[str, int]] = []
    bad = []
    for topic, payload in messages:
        try:
            document = json.loads(payload)
            key = (topic, document["ts"] * 1_000_000, json.dumps(document["value"]))
            assert isinstance(document["ts"], int) and not isinstance(document["value"], list)
        except (ValueError, KeyError, TypeError, AssertionError):
            bad.append(topic)
            continue
        good[key] += 1
        arrivals.append((topic, key[1]))
    want = Counter(
        (moulding.plant.address(v["machine"], v["signal"]), v["ts"], json.dumps(v["value"]))
        for v in served
    )
    assert set(good) == set(want), "every served value arrived"
    assert sum(good.values()) - len(served) == injected["duplicate"]
    assert Counter(bad) == Counter(
        e["topic"] for e in report.chaos.entries if e["kind"] == "malformed"
    )
    swapped = {e["topic"] for e in report.chaos.entries if e["kind"] == "out_of_order"}
    late = [b for a, b in pairwise(arrivals) if b[1] < a[1]]
    assert 0 < len(late) <= injected["out_of_order"]
    assert {topic for topic, _ in late} <= swapped, "only held-back messages arrive late"

    _, served_again, report_again = await publish_run(
        moulding, mosquitto_server, tmp_path, "json", chaos=chaos, topic_filter="im-shop/#"
    )
    assert report_again.chaos.entries == report.chaos.entries, "same seed, same chaos"
    assert served_again == served
