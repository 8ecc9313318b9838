"""``smkit simulate opcua|mqtt|all``: real processes, real clients, clear errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from asyncua import Client

from smkit.localservers import LocalMosquitto, free_port
from tests.cli.test_cli import smkit


def assert_user_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_bad_options_exit_2_with_what_is_allowed(tmp_path: Path) -> None:
    bad_speed = smkit("simulate", "opcua", "-s", "cnc-cell", "--speed", "fast")
    assert_user_error(bad_speed, "--speed: must be a positive number or 'max', got 'fast'")
    bad_format = smkit("simulate", "mqtt", "-s", "cnc-cell", "--format", "xml")
    assert_user_error(bad_format, "--format: must be one of json, document, flat, value, sparkplug")
    bad_security = smkit("simulate", "opcua", "-s", "cnc-cell", "--security", "basic128")
    assert_user_error(bad_security, "unknown mode 'basic128'", "sign-encrypt")
    chaos = tmp_path / "chaos.yaml"
    chaos.write_text("mqtt:\n  duplicates: 2\n  swaps: 0.1\n")
    bad_chaos = smkit("simulate", "mqtt", "-s", "cnc-cell", "--chaos", str(chaos))
    assert_user_error(
        bad_chaos,
        f"{chaos}:2:3: mqtt.duplicates: must be <= 1, got 2",
        f"{chaos}:3:3: mqtt.swaps: unknown key 'swaps' (allowed: disconnect_downtime,",
    )


def test_a_port_in_use_exits_2_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = smkit(
            "simulate", "opcua", "-s", "cnc-cell", "--endpoint", f"opc.tcp://127.0.0.1:{port}"
        )
    assert_user_error(result, f"127.0.0.1:{port}: the port is already in use")


def test_an_unreachable_broker_is_a_clear_error_without_traceback() -> None:
    result = smkit(
        "simulate", "mqtt", "-s", "cnc-cell", "--broker", f"mqtt://127.0.0.1:{free_port()}"
    )
    assert result.returncode == 1
    assert "error: cannot reach the MQTT broker at mqtt://127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr


def test_both_protocols_served_to_the_end_with_the_truth(
    mosquitto_server: LocalMosquitto, tmp_path: Path
) -> None:
    truth, values = tmp_path / "truth.json", tmp_path / "values.jsonl"
    result = smkit(
        "simulate", "all", "-s", "bottling-line", "--speed", "max", "--duration", "20m",
        "--endpoint", f"opc.tcp://127.0.0.1:{free_port()}", "--broker", mosquitto_server.url,
        "--format", "document", "--truth", str(truth), "--values", str(values),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(truth.read_text())
    served = document["served"]
    assert served["finished"] and served["until"] == document["end"]
    lines = [json.loads(line) for line in values.read_text().splitlines()]
    per_protocol = {via: sum(1 for v in lines if v["via"] == via) for via in ("opcua", "mqtt")}
    assert per_protocol == served["values"]
    # MQTT publishes every value; OPC UA shows only changes (a repeated value changes nothing)
    assert per_protocol["mqtt"] > per_protocol["opcua"] > 0
    assert document["shifts"] and document["chaos"] == []


async def test_sigterm_stops_serving_cleanly_and_still_writes_the_truth(tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", "simulate", "opcua", "-s", "cnc-cell", "--speed", "60",
        "--endpoint", endpoint, "--truth", str(truth),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert line.decode().startswith(f"serving cnc-cell over opcua at {endpoint}, 60x")
    await asyncio.sleep(1.0)
    async with Client(endpoint) as client:
        index = (await client.get_namespace_array()).index("urn:smkit:sim:cnc-cell")
        state = await client.get_node(f"ns={index};s=vmc-01.State").read_data_value()
        assert state.StatusCode.is_good()
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert "stopped" in out.decode() and "Traceback" not in err.decode()
    served = json.loads(truth.read_text())["served"]
    assert not served["finished"] and served["values"]["opcua"] > 0


def test_a_scenario_is_served_from_the_day_asked(mosquitto_server: LocalMosquitto,
                                                 tmp_path: Path) -> None:  # fmt: skip
    truth, values = tmp_path / "truth.json", tmp_path / "values.jsonl"
    result = smkit(
        "simulate", "mqtt", "-s", "injection-moulding", "--speed", "max", "--duration", "10m",
        "--broker", mosquitto_server.url, "--truth", str(truth), "--values", str(values),
        "--start-day", "2027-01-04",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(truth.read_text())
    start = dt.datetime.fromtimestamp(document["start"] / 1e9, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert start.replace(tzinfo=None) == dt.datetime(2027, 1, 4, 6, 0)  # the scenario's 06:00
    first = json.loads(values.read_text().splitlines()[0])
    assert first["ts"] >= document["start"]
    assert_user_error(smkit("simulate", "mqtt", "-s", "cnc-cell", "--start-day", "monday"),
                      "--start-day 'monday': give today or a date YYYY-MM-DD")  # fmt: skip
