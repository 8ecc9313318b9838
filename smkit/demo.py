"""``make demo``: two simulated pilot factories collected into SQLite, and their OEE.

In ``demo-data/`` it checks the example plant, then for each factory starts the simulator and,
beside it, ``smkit collect`` with a copy of the factory's plant.yaml, exactly as with real
machines:

* the CNC cell over OPC UA (an asyncua server), one shift at 480x speed;
* the moulding shop over MQTT (per-machine JSON documents) for two shifts at full speed, through
  Mosquitto when it is installed, else an embedded amqtt broker.

Once everything is in the historian it prints ``smkit oee report`` next to the simulator's
ground truth, and the loss waterfall and downtime Pareto of one machine, then the readiness
report (vi and en) of the example assessment of the moulding shop's enterprise, with evidence
measured on the data just collected. It ends by serving the moulding shop's pages and API
(``smkit serve``) with an admin key, printing the addresses to open; ``--exit`` checks that
they answer and stops (for CI: ``make demo EXIT=1``).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from smkit.cli.common import table
from smkit.localservers import free_port, listening, local_broker
from smkit.simulators.catalog import SCENARIOS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "plant.yaml"
ASSESSMENT = EXAMPLES / "readiness" / "an-phat-plastics-2026.yaml"
KPIS = ("availability", "performance", "quality", "oee")


def run(*args: str, capture: bool = False) -> str:
    """Run one smkit command as a user would, echoing it first."""
    print(f"\n$ smkit {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "smkit", *args], check=False, text=True,
                          capture_output=capture)  # fmt: skip
    if done.returncode != 0:
        print(done.stderr if capture else "", file=sys.stderr)
        sys.exit(done.returncode)
    return done.stdout if capture else ""


def start(*args: str) -> subprocess.Popen[bytes]:
    """Start a long-running smkit command in the background, echoing it."""
    print(f"\n$ smkit {' '.join(args)} &", flush=True)
    return subprocess.Popen([sys.executable, "-m", "smkit", *args])


def factory_plant(folder: Path, scenario: str, source: dict[str, Any]) -> Path:
    """A copy of a shipped factory's plant.yaml with its own storage and the given source."""
    folder.mkdir(parents=True, exist_ok=True)
    plant = yaml.safe_load((SCENARIOS / scenario / "plant.yaml").read_text())
    plant.update(sources=[source], historian={"kind": "sqlite", "path": "historian.db"},
                 outbox={"path": "outbox.db"}, oee={"small_stop_threshold": "2m"})  # fmt: skip
    for stale in folder.glob("*.db*"):
        stale.unlink()
    path = folder / "plant.yaml"
    path.write_text(yaml.safe_dump(plant, allow_unicode=True, sort_keys=False))
    return path


def start_collector(plant: Path) -> subprocess.Popen[bytes]:
    """``smkit collect`` in the background; returns once its source is connected."""
    health = plant.parent / "outbox.health.json"
    health.unlink(missing_ok=True)
    collector = start("collect", "--plant", str(plant))
    for _ in range(600):
        time.sleep(0.1)
        state = _health(health)
        if state and all(source["connected"] for source in state["sources"]):
            return collector
    collector.terminate()
    sys.exit("the collector did not connect within a minute")


def finish(
    collector: subprocess.Popen[bytes], plant: Path, simulator: subprocess.Popen[bytes]
) -> None:
    """Wait for the simulator, then until the historian holds all it sent; stop collecting."""
    if simulator.wait() != 0:
        collector.terminate()
        sys.exit(simulator.returncode)
    settled, last = 0, -1
    while settled < 3:
        time.sleep(1.0)
        state = _health(plant.parent / "outbox.health.json")
        if state is None:
            continue
        samples = sum(source["samples"] for source in state["sources"])
        settled = settled + 1 if samples == last and state["outbox"]["samples"] == 0 else 0
        last = samples
    collector.send_signal(signal.SIGTERM)
    collector.wait()


def _health(path: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError):
        return None


def compare(plant: Path, truth_file: Path) -> None:
    """``smkit oee report`` per shift beside the simulator's truth, and one machine's losses."""
    truth = json.loads(truth_file.read_text())
    span = ("--from", _utc(truth["start"]), "--to", _utc(truth["end"]))
    report = json.loads(run("oee", "report", "--plant", str(plant), *span, "--format", "json",
                            capture=True))  # fmt: skip
    ours = {(row["entity"], row["period"]): row for row in report}
    rows = []
    for shift in truth["shifts"]:
        row = ours.get((shift["machine"], f"{shift['day']} {shift['shift']}"), {})
        rows.append([shift["machine"], f"{shift['day']} {shift['shift']}",
                     *(f"{_pct(row.get(k))} / {_pct(shift[k])}" for k in KPIS)])  # fmt: skip
    print("\nper shift: smkit / simulator truth")
    print(table(["machine", "shift", *(f"{k} (smkit / truth)" for k in KPIS)], rows))
    machine = truth["shifts"][0]["machine"]
    run("oee", "losses", "--plant", str(plant), *span, "--machine", machine)


def _utc(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).isoformat()


def _pct(value: object) -> str:
    return "—" if value is None else f"{float(value) * 100:.2f} %"  # type: ignore[arg-type]


def opcua_factory(folder: Path) -> None:
    """The CNC cell: its asyncua server and a collector, then OEE."""
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    # At 480x a signal changes hundreds of times a second: a deep queue keeps every change.
    source = {"id": "cell-opcua", "kind": "opcua", "endpoint": endpoint,
              "subscription": {"publishing_interval": "200ms", "queue_size": 2000}}  # fmt: skip
    plant = factory_plant(folder / "cnc-cell", "cnc-cell", source)
    truth = plant.parent / "truth.json"
    # --linger: the last changes still reach the client before the server stops.
    simulator = start("simulate", "opcua", "-s", "cnc-cell", "--endpoint", endpoint, "--speed",
                      "480", "--duration", "8h", "--start-after", "15s", "--linger", "3s",
                      "--truth", str(truth), "--pki-dir", str(folder / "pki"))  # fmt: skip
    port = int(endpoint.rsplit(":", 1)[1])
    while not listening(port):  # the server's clock waits 15 s for the collector
        time.sleep(0.2)
    finish(start_collector(plant), plant, simulator)
    compare(plant, truth)


def mqtt_factory(folder: Path) -> tuple[Path, Path]:
    """The moulding shop: a broker, the MQTT publisher and a collector, then OEE.

    Returns its plant.yaml and truth.json.
    """
    broker = local_broker(folder / "broker")
    broker.start()
    print(f"\nMQTT broker: {broker.name} at {broker.url} (MQTT {broker.protocol})")
    try:
        source = {"id": "shop-broker", "kind": "mqtt", "url": broker.url,
                  "protocol": broker.protocol, "client_id": "smkit-demo",
                  "subscriptions": [{"topic": "{site}/{area}/{line}/{machine}",
                                     "json": {"values": "values", "timestamp": "ts"}}]}  # fmt: skip
        plant = factory_plant(folder / "moulding", "injection-moulding", source)
        truth = plant.parent / "truth.json"
        collector = start_collector(plant)  # subscribed before anything is published
        simulator = start("simulate", "mqtt", "-s", "injection-moulding", "--broker", broker.url,
                          "--mqtt-protocol", broker.protocol, "--format", "document", "--speed",
                          "max", "--duration", "16h", "--truth", str(truth),
                          "--start-day", _yesterday(plant))  # fmt: skip
        finish(collector, plant, simulator)
    finally:
        broker.stop()
    compare(plant, truth)
    return plant, truth


def _yesterday(plant: Path) -> str:
    """Yesterday in the plant's time zone: the demo's day is a whole day just gone."""
    zone = ZoneInfo(yaml.safe_load(plant.read_text())["site"]["timezone"])
    return (dt.datetime.now(zone).date() - dt.timedelta(days=1)).isoformat()


def serve_pages(plant: Path, truth_file: Path, exit_at_once: bool) -> None:
    """``smkit serve`` over the moulding shop, with its assessment and an admin key; the
    addresses of its pages are printed. Runs until Ctrl-C, or checks it answers and stops."""
    document = yaml.safe_load(plant.read_text())
    document["api"] = {"assessments": "assessments"}
    plant.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    (plant.parent / "assessments").mkdir(exist_ok=True)
    shutil.copy(ASSESSMENT, plant.parent / "assessments" / "an-phat.yaml")
    created = run("api-key", "create", "--plant", str(plant), "--role", "admin", "--name",
                  "demo admin", capture=True)  # fmt: skip
    key = created.strip().splitlines()[-1]
    port = 8080 if not exit_at_once and not listening(8080) else free_port()
    server = start("serve", "--plant", str(plant), "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if listening(port):
            break
        time.sleep(0.1)
    zone = ZoneInfo(document["site"]["timezone"])
    first = json.loads(truth_file.read_text())["start"]
    at = dt.datetime.fromtimestamp(first / 1e9, zone) + dt.timedelta(hours=4)
    shift = at.replace(tzinfo=None).isoformat(timespec="minutes")
    lines = [f"smkit's pages and API serve the moulding shop at {url}",
             f"  sign in with the admin key {key}",
             f"  plant board          {url}/board   (andon: {url}/board?andon=true)",
             f"  a machine's shift    {url}/machines/press-01?at={shift}",
             f"  stop reasons         {url}/operator",
             f"  shift report         {url}/shifts/presses?at={shift}",
             f"  readiness            {url}/readiness   (API docs: {url}/docs)"]  # fmt: skip
    print("\n" + "\n".join(lines), flush=True)
    try:
        if exit_at_once:
            _check_serving(url, key)
            return
        print("Ctrl-C stops the server.", flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait()


def _check_serving(url: str, key: str) -> None:
    """The API answers with the shop's machines and the sign-in page renders."""
    status = httpx.get(f"{url}/api/v1/status", headers={"Authorization": f"Bearer {key}"},
                       timeout=60)  # fmt: skip
    sign_in = httpx.get(f"{url}/signin", timeout=60)
    if status.status_code != 200 or sign_in.status_code != 200:
        sys.exit(f"smkit serve did not answer: {status.status_code}, {sign_in.status_code}")
    print(f"--exit: {url} answered ({len(status.json()['machines'])} machines); stopped.")


def readiness(folder: Path, plant: Path, truth_file: Path) -> None:
    """The example assessment of the moulding shop's enterprise, with evidence from its data.

    The window is the day the demo collected (a real audit measures the last 30 days).
    """
    end = json.loads(truth_file.read_text())["end"]
    out = folder / "readiness"
    out.mkdir(exist_ok=True)
    evidence = out / "evidence.json"
    run("readiness", "evidence", "--plant", str(plant), "--to", _utc(end), "--days", "1",
        "--out", str(evidence))  # fmt: skip
    run("readiness", "score", str(ASSESSMENT), "--evidence", str(evidence))
    for lang in ("vi", "en"):
        run("readiness", "report", str(ASSESSMENT), "--evidence", str(evidence), "--lang", lang,
            "--format", "html", "-o", str(out / f"an-phat-{lang}.html"))  # fmt: skip


def main(folder: Path = Path("demo-data"), exit_at_once: bool = False) -> None:
    """Walk through smkit on two simulated factories in ``folder``."""
    folder.mkdir(exist_ok=True)
    example = folder / "plant.yaml"
    if not example.exists():
        shutil.copy(EXAMPLE, example)
    print(f"smkit demo: working folder {folder}/")
    run("version")
    run("validate", str(example))
    run("simulate", "list")
    opcua_factory(folder)
    moulding, truth = mqtt_factory(folder)
    readiness(folder, moulding, truth)
    print(
        f"\nEverything is in {folder}/: each factory's plant.yaml, historian.db and truth.json;"
        f"\nthe readiness reports of the moulding shop's enterprise are {folder}/readiness/"
        "an-phat-vi.html and an-phat-en.html (open them in a browser, print them to PDF)."
        "\nNext: edit demo-data/plant.yaml for your machines, `smkit validate` it, and"
        " `smkit collect --plant demo-data/plant.yaml`; `smkit oee report` then reads your data."
    )
    serve_pages(moulding, truth, exit_at_once)


if __name__ == "__main__":
    main(exit_at_once="--exit" in sys.argv[1:])
