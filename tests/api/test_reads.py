"""The read routes over a simulated day: the plant as plant.yaml has it, OEE equal to
``smkit oee report`` and to the simulator's truth, the downtime list, CSV for spreadsheets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import yaml

from smkit.api.roles import Role
from tests.api.conftest import LiveApi
from tests.cli.test_cli import smkit

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_NS = 24 * 3600 * 10**9


def local(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, ZONE).replace(tzinfo=None).isoformat()


def test_the_plant_is_served_as_plant_yaml_has_it(live_api: LiveApi) -> None:
    document = yaml.safe_load(live_api.plant_path.read_text())
    with live_api.client(Role.VIEWER) as client:
        found = client.get("/api/v1/plant", params={"shifts_ahead_h": 48}).json()
    assert found["site"] == document["site"]["id"]
    want = [m["id"] for a in document["site"]["areas"] for ln in a["lines"] for m in ln["machines"]]
    got = [m["id"] for a in found["areas"] for ln in a["lines"] for m in ln["machines"]]
    assert got == want
    machine = found["areas"][0]["lines"][0]["machines"][0]
    written = document["site"]["areas"][0]["lines"][0]["machines"][0]
    assert [p["ideal_cycle_time_s"] for p in machine["products"]] == [
        p["ideal_cycle_time_s"] for p in written["products"]
    ]
    assert {r["code"]: r["label"] for r in found["reasons"]} == {
        r["code"]: r["label"] for r in document["reasons"]
    }
    shifts = found["areas"][0]["lines"][0]["coming_shifts"]
    spans = [(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
             for s in shifts]  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    assert len(spans) >= 5 and spans == sorted(spans)
    assert all(end > now and start < now + dt.timedelta(hours=48) for start, end in spans)
    assert all(start >= now for start, _ in spans[1:])  # only the first may be going on
    assert all(end - start == dt.timedelta(hours=8) for start, end in spans)


@pytest.mark.parametrize("backend", ["sqlite", "influx"])
def test_oee_per_shift_equals_the_cli_report_and_the_truth(
    backend: str, request: pytest.FixtureRequest
) -> None:
    live_api: LiveApi = request.getfixturevalue("live_api" if backend == "sqlite"
                                                else "live_api_influx")  # fmt: skip
    window = {"from": local(live_api.start_ns), "to": local(live_api.start_ns + DAY_NS)}
    with live_api.client(Role.VIEWER) as client:
        answer = client.get("/api/v1/oee", params=window)
    assert answer.status_code == 200, answer.text
    rows = {(r["entity"], r["period"]): r for r in answer.json()}
    done = smkit("oee", "report", "--plant", str(live_api.plant_path), "--from", window["from"],
                 "--to", window["to"], "--format", "json")  # fmt: skip
    cli = json.loads(done.stdout)
    assert len(cli) == len(rows) > 0
    for expected in cli:
        row = rows[(expected["entity"], expected["period"])]
        for name in ("availability", "performance", "quality", "oee", "teep", "mtbf_s"):
            assert row["kpis"][name] == expected[name]
        assert row["counts"]["good"] == expected["good"]
        assert row["flags"] == expected["flags"]
    for truth in live_api.truths:
        row = rows[(truth.machine, f"{truth.day} {truth.shift}")]
        for name, want in truth.kpis().items():
            if name in ("availability", "performance", "quality", "oee"):
                got = row["kpis"][name]
                assert (got is None) == (want is None)
                assert want is None or got == pytest.approx(float(want), abs=1e-9)


def test_oee_rolls_up_per_line_and_day_and_answers_csv(live_api: LiveApi) -> None:
    window = {"from": local(live_api.start_ns), "to": local(live_api.start_ns + DAY_NS)}
    with live_api.client(Role.VIEWER) as client:
        line = client.get("/api/v1/oee", params={**window, "level": "line", "by": "window"}).json()
        machines = client.get("/api/v1/oee", params={**window, "by": "window"}).json()
        table = client.get("/api/v1/oee", params={**window, "by": "window", "format": "csv"})
    assert len(line) == 1 and line[0]["level"] == "line"
    assert sorted(line[0]["machines"]) == sorted(m["entity"] for m in machines)
    assert line[0]["counts"]["good"] == sum(m["counts"]["good"] for m in machines)
    assert line[0]["times_s"]["running_ns"] == pytest.approx(
        sum(m["times_s"]["running_ns"] for m in machines)
    )
    assert table.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["entity"] for r in parsed] == [m["entity"] for m in machines]
    assert [float(r["oee"]) for r in parsed] == [m["kpis"]["oee"] for m in machines]


def test_the_downtime_list_equals_the_cli_list(live_api: LiveApi) -> None:
    window = {"from": local(live_api.start_ns), "to": local(live_api.start_ns + DAY_NS)}
    with live_api.client(Role.VIEWER) as client:
        stops = client.get("/api/v1/downtime", params={**window, "machine": "press-01"}).json()
    done = smkit("oee", "downtime", "--plant", str(live_api.plant_path), "--from",
                 window["from"], "--to", window["to"], "--machine", "press-01",
                 "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    assert len(stops) == len(cli) > 0
    assert {s["machine"] for s in stops} == {"press-01"}
    assert [s["reason"] for s in stops] == [c["reason"] for c in cli]
    # a stop still open at the end of the data runs to "now", which moved between the two calls
    closed = [(dt.datetime.fromisoformat(s["start"]), s["length_s"]) for s in stops
              if not s["open_end"]]  # fmt: skip
    assert closed == [(dt.datetime.fromisoformat(c["start"]), c["length_s"]) for c in cli
                      if not c["open_end"]]  # fmt: skip


def test_losses_fill_the_planned_time_and_rank_the_downtime(live_api: LiveApi) -> None:
    window = {"from": local(live_api.start_ns), "to": local(live_api.start_ns + DAY_NS)}
    with live_api.client(Role.VIEWER) as client:
        losses = {r["entity"]: r for r in client.get("/api/v1/losses", params=window).json()}
        rows = client.get("/api/v1/oee", params={**window, "by": "window"}).json()
    assert sorted(losses) == sorted(r["entity"] for r in rows)
    for row in rows:
        found = losses[row["entity"]]
        steps = {step["name"]: step["seconds"] for step in found["waterfall"]}
        assert sum(steps.values()) == pytest.approx(found["planned_s"])
        assert steps["valuable (fully productive)"] == pytest.approx(row["times_s"]["valuable_ns"])
        seconds = [entry["seconds"] for entry in found["pareto"]]
        assert seconds == sorted(seconds, reverse=True)
        assert sum(seconds) == pytest.approx(sum(row["downtime_by_reason_s"].values()))
        assert found["pareto"][-1]["cumulative"] == pytest.approx(1.0)
        labelled = [e for e in found["pareto"] if not e["reason"].startswith("(")]
        assert all(e["label"]["vi"] and e["label"]["en"] for e in labelled)
        assert found["maintenance"]["mtbf_s"] == row["kpis"]["mtbf_s"]
        assert found["failures"] == row["counts"]["failures"]


def test_series_are_reduced_to_the_points_asked_keeping_extremes(live_api: LiveApi) -> None:
    start, end = live_api.start_ns + 6 * 3600 * 10**9, live_api.start_ns + 14 * 3600 * 10**9
    query = {"machine": "press-01", "signal": ["melt_temp", "mode"], "from": local(start),
             "to": local(end), "points": 100}  # fmt: skip
    with live_api.client(Role.VIEWER) as client:
        temp, mode = client.get("/api/v1/series", params=query).json()
        unknown = client.get("/api/v1/series", params={**query, "signal": "colour"})

    def raw(name: str) -> list[tuple[int, object]]:
        return sorted((s.ts, s.value) for s in live_api.samples if s.machine_id == "press-01"
                      and s.signal == name and start <= s.ts < end)  # fmt: skip

    for found, name in ((temp, "melt_temp"), (mode, "mode")):
        rows = raw(name)
        assert found["signal"] == name and 0 < len(found["ts_ms"]) <= 100
        assert sum(found["count"]) == len(rows)
        assert found["last"][-1] == rows[-1][1] and found["ts_ms"][0] == rows[0][0] // 10**6
    values = [value for _, value in raw("melt_temp")]
    assert max(temp["max"]) == max(values) and min(temp["min"]) == min(values)
    assert temp["unit"] == "degC" and mode["min"][0] is None
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "signal"]
