"""``collectors:`` in plant.yaml: a plant's sources split across collector processes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smkit.collector import last_health, merged_health
from smkit.errors import ConfigError
from smkit.plant import load_plant, parse_plant
from smkit.plant.mqtt import MqttSource
from tests.cli.test_cli import smkit
from tests.plant.test_loader import MINIMAL

SOURCES = """\
sources:
  - {id: opc-1, kind: opcua, endpoint: "opc.tcp://10.0.0.1:4840"}
  - {id: opc-2, kind: opcua, endpoint: "opc.tcp://10.0.0.2:4840"}
  - {id: broker, kind: mqtt, url: "mqtt://10.0.0.3", shared_group: smkit,
     subscriptions: [{topic: "{machine}/{signal}", parser: value}]}
  - {id: lonely, kind: mqtt, url: "mqtt://10.0.0.4",
     subscriptions: [{topic: "{machine}/{signal}", parser: value}]}
outbox: {path: data/outbox.db}
"""

SPLIT = """\
collectors:
  - {id: edge-a, sources: [opc-1, broker, lonely]}
  - {id: edge-b, sources: [opc-2, broker], oee: true}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_plant(MINIMAL + SOURCES + text, "plant.yaml")
    return caught.value.problems


def test_each_collector_gets_its_sources_its_outbox_and_its_own_client_ids() -> None:
    plant = parse_plant(MINIMAL + SOURCES + SPLIT, "plant.yaml")
    a, b = plant.for_collector("edge-a"), plant.for_collector("edge-b")
    assert [s.id for s in a.sources] == ["opc-1", "broker", "lonely"]
    assert [s.id for s in b.sources] == ["opc-2", "broker"]
    assert a.outbox.path.name == "outbox.edge-a.db" and b.outbox.path.name == "outbox.edge-b.db"
    assert a.outbox.path.parent == plant.outbox.path.parent
    clients = [s.session_client_id for p in (a, b) for s in p.sources if isinstance(s, MqttSource)]
    assert clients == ["smkit-broker-edge-a", "smkit-lonely-edge-a", "smkit-broker-edge-b"]
    assert (a.oee.every, b.oee.every) == (0.0, plant.oee.every), "edge-b alone computes OEE"
    assert plant.outbox_paths() == [a.outbox.path, b.outbox.path]


def test_without_oee_true_the_first_collector_computes_oee() -> None:
    plant = parse_plant(MINIMAL + SOURCES + SPLIT.replace(", oee: true", ""), "plant.yaml")
    assert plant.for_collector("edge-a").oee.every == plant.oee.every
    assert plant.for_collector("edge-b").oee.every == 0.0


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        ("collectors:\n  - {id: a, sources: [opc-1, opc-2, broker, nope, lonely]}\n",
         "collectors[0].sources[3]: no source 'nope' (sources: opc-1, opc-2, broker, lonely)"),
        ("collectors:\n  - {id: a, sources: [opc-1, broker, lonely]}\n"
         "  - {id: b, sources: [opc-2, opc-1]}\n",
         "collectors[1].sources[1]: source 'opc-1' is already collected by 'a'; only an MQTT "
         "source with a shared_group may be split across collectors"),
        ("collectors:\n  - {id: a, sources: [opc-1, broker, lonely]}\n"
         "  - {id: b, sources: [opc-2, lonely]}\n",
         "collectors[1].sources[1]: source 'lonely' is already collected by 'a'; only an MQTT "
         "source with a shared_group may be split across collectors"),
        ("collectors:\n  - {id: a, sources: [opc-1, broker, lonely]}\n",
         "collectors: no collector collects source 'opc-2'"),
        ("collectors:\n  - {id: a, sources: [opc-1, broker, lonely]}\n"
         "  - {id: a, sources: [opc-2]}\n", "collectors: collector id 'a' is used twice"),
        (SPLIT.replace("opc-1, broker, lonely]}", "opc-1, broker, lonely], oee: true}"),
         "collectors: oee: true may be set on one collector only"),
    ],
)  # fmt: skip
def test_a_wrong_split_is_one_clear_line(split: str, expected: str) -> None:
    assert expected in [re.sub(r"^plant\.yaml:\d+:\d+: ", "", p) for p in problems(split)]


def test_collect_and_outbox_ask_which_collector_and_refuse_an_unknown_one(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(MINIMAL + SOURCES + SPLIT)
    asked = smkit("collect", "--plant", str(path))
    assert asked.returncode == 2
    assert "give --collector (edge-a, edge-b)" in asked.stderr
    unknown = smkit("outbox", "status", "--plant", str(path), "--collector", "edge-c")
    assert unknown.returncode == 2
    assert "--collector: no collector 'edge-c' (edge-a, edge-b)" in unknown.stderr
    assert "Traceback" not in asked.stderr + unknown.stderr


def _health(sources: list[str], delivered: int, newest: dict[str, int], at: int) -> dict:
    return {
        "written_at_ns": at,
        "sources": [{"source": s, "samples": delivered} for s in sources],
        "historian": {"historian_up": True, "last_error": "", "last_delivery_ns": at,
                      "delivered": delivered, "dead_lettered": 0, "retries": 1,
                      "newest_ns": newest},
        "dead_messages": 2,
        "outbox": {"samples": 5, "batches": 1, "bytes": 100, "dead_letters": 0},
    }  # fmt: skip


def test_the_status_of_a_split_plant_is_every_collector_together(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(MINIMAL + SOURCES + SPLIT)
    plant = load_plant(path)
    now = 10**18
    first = _health(["opc-1", "broker", "lonely"], 70, {"m1": now - 5, "m2": now - 9}, now - 1)
    second = _health(["opc-2", "broker"], 30, {"m1": now - 7}, now - 2)
    assert last_health(plant, now) == (None, False)
    a, b = (
        plant.for_collector(c).outbox.path.with_suffix(".health.json") for c in ("edge-a", "edge-b")
    )
    a.parent.mkdir()
    a.write_text(json.dumps(first))
    document, running = last_health(plant, now)
    assert document == first and not running, "one collector has not reported: not running"
    b.write_text(json.dumps(second))
    document, running = last_health(plant, now)
    assert running and document == merged_health([first, second])
    assert [s["source"] for s in document["sources"]] == ["opc-1", "broker", "lonely", "opc-2",
                                                          "broker"]  # fmt: skip
    assert document["historian"]["delivered"] == 100 and document["historian"]["retries"] == 2
    assert document["historian"]["newest_ns"] == {"m1": now - 5, "m2": now - 9}
    assert document["outbox"] == {"samples": 10, "batches": 2, "bytes": 200, "dead_letters": 0}
    assert document["dead_messages"] == 4 and document["written_at_ns"] == now - 2


def test_the_example_split_in_the_commented_plant_yaml_is_valid() -> None:
    example = (Path(__file__).parents[2] / "examples" / "plant.yaml").read_text()
    uncommented = example.replace("# collectors:", "collectors:").replace("#   - {id:", "  - {id:")
    environ = {"SMKIT_MQTT_PASSWORD": "x", "SMKIT_OPCUA_PASSWORD": "x"}
    plant = parse_plant(uncommented, "examples/plant.yaml", environ=environ)
    assert [c.id for c in plant.collectors] == ["edge-cell", "edge-broker"]
    assert plant.for_collector("edge-broker").oee.every == plant.oee.every
