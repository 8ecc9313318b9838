"""``smkit simulate``: shipped scenarios, ground truth files, reproducible runs, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import smkit


def test_list_shows_the_shipped_scenarios_in_both_languages() -> None:
    result = smkit("simulate", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [
        "bottling-line",
        "cnc-cell",
        "injection-moulding",
    ]
    assert "Cụm gia công CNC" in result.stdout and "CNC machining cell" in result.stdout


def test_truth_files_are_reproducible_and_consistent(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        truth, events = tmp_path / f"{run}.json", tmp_path / f"{run}.jsonl"
        result = smkit(
            "simulate", "truth", "-s", "injection-moulding", "--seed", "4", "--duration", "16h",
            "--truth", str(truth), "--events", str(events),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append((truth.read_bytes(), events.read_bytes()))
    assert outputs[0] == outputs[1]
    document = json.loads(outputs[0][0])
    assert document["scenario"] == "injection-moulding" and document["seed"] == 4
    shifts = document["shifts"]
    assert {s["machine"] for s in shifts} == {"press-01", "press-02", "press-03", "press-04"}
    for shift in shifts:
        parts = ("running_s", "breakdown_s", "setup_s", "small_stop_s", "idle_s")
        assert abs(sum(shift[p] for p in parts) - shift["planned_s"]) < 1e-6
        assert shift["total"] == shift["good"] + shift["startup_rejects"] + shift["process_rejects"]
    first_event = json.loads(outputs[0][1].splitlines()[0])
    assert first_event["event"] == "OrderStart"


def test_unknown_scenarios_and_bad_durations_exit_2() -> None:
    unknown = smkit("simulate", "truth", "-s", "no-such-factory")
    assert unknown.returncode == 2
    assert "one of bottling-line, cnc-cell, injection-moulding" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad = smkit("simulate", "truth", "-s", "cnc-cell", "--duration", "soon")
    assert bad.returncode == 2 and "must be a duration" in bad.stderr


def test_a_primary_host_only_for_sparkplug_over_mqtt_5() -> None:
    for options in (["--format", "json"], ["--format", "sparkplug", "--mqtt-protocol", "3.1.1"]):
        result = smkit("simulate", "mqtt", "-s", "cnc-cell", "--primary-host", "scada", *options)
        assert result.returncode == 2, result.stderr
        assert "--primary-host: only with --format sparkplug over MQTT 5" in result.stderr
        assert "Traceback" not in result.stderr
