"""The three plants of the soak run: each scenario's simulator and its own collector process.

* the CNC cell, served by the OPC UA simulator (history kept, read back after a gap);
* the moulding shop, one JSON message per value over MQTT 5;
* the bottling line, Sparkplug B over MQTT 5.

Every collector is ``smkit collect`` in a process of its own (killed and started again by the
soak), writing to one ``influxd``, with its outbox on a small tmpfs the soak fills.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from smkit.localservers import free_port
from smkit.simulators.catalog import SCENARIOS

JSON_PER_SIGNAL = {
    # the site's own level, not {site}: the bottling line's Sparkplug topics on the same broker
    # have five levels too
    "topic": "im-shop/{area}/{line}/{machine}/{signal}",
    "parser": "json",
    "json": {"value": "value", "timestamp": "ts"},
}
SPARKPLUG = {
    "topic": "spBv1.0/{site}/+/{line}/{machine}",
    "parser": "sparkplug_b",
    "sparkplug": {"request_rebirth": True},
}  # the primary host: asks for missed births
OPCUA_CHAOS = {"opcua": {"session_drops_per_hour": 0.25}}
MQTT_CHAOS = {"mqtt": {"disconnects_per_hour": 0.25, "duplicates": 0.001,
                       "out_of_order": 0.001, "malformed": 0.001}}  # fmt: skip

Key = tuple[str, str, int, Any]
"""(machine, signal, time in ns, value) of one value."""


@dataclass
class SoakPlant:
    """One scenario: its folder, plant.yaml, simulator and collector process."""

    name: str
    scenario: str
    via: str  # "opcua", "json" or "sparkplug"
    folder: Path
    outbox: Path
    collector: subprocess.Popen[bytes] | None = None
    simulator: subprocess.Popen[bytes] | None = None
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    """(fraction of the run, resident MB) of the running collector, sampled."""

    @property
    def plant_file(self) -> Path:
        return self.folder / "plant.yaml"

    @property
    def truth(self) -> dict[str, Any]:
        """What the simulator says it served; a RuntimeError with the end of its log if it
        ended without saying (it failed)."""
        path = self.folder / "truth.json"
        if not path.exists():
            code = None if self.simulator is None else self.simulator.poll()
            log = (self.folder / "simulator.log").read_text(errors="replace")[-2500:]
            raise RuntimeError(f"the {self.name} simulator ended with code {code} and wrote "
                               f"no truth; the end of its log:\n{log}")  # fmt: skip
        return dict(json.loads(path.read_text()))

    def write_plant(self, broker: str, endpoint: str, influx: str) -> None:
        """The scenario's own plant.yaml, pointed at the servers of this run."""
        plant = yaml.safe_load((SCENARIOS / self.scenario / "plant.yaml").read_text())
        if self.via == "opcua":
            source: dict[str, Any] = {
                "id": "cell-opcua", "kind": "opcua", "endpoint": endpoint,
                "subscription": {"publishing_interval": "100ms", "queue_size": 5000},
                "history_backfill": True, "history_overlap": "30m",
            }  # fmt: skip
        else:
            source = {
                "id": plant["sources"][0]["id"],
                "kind": "mqtt",
                "url": broker,
                "client_id": f"soak-{self.name}",
                "protocol": "5",
                # persistent for Sparkplug too (its default is a clean session, as the
                # specification asks): the broker keeps what arrives while the collector is away
                "session": {"persistent": True, "expiry": "1h"},
                "subscriptions": [JSON_PER_SIGNAL if self.via == "json" else SPARKPLUG],
            }
        plant["sources"] = [source]
        plant["historian"] = {"kind": "influx", "url": influx, "database": f"soak_{self.name}"}
        plant["outbox"] = {"path": str(self.outbox)}
        plant["oee"] = {"small_stop_threshold": "2m"}  # the scenarios' own threshold
        self.folder.mkdir(parents=True, exist_ok=True)
        self.plant_file.write_text(yaml.safe_dump(plant, allow_unicode=True))

    def start_simulator(self, args: list[str], broker: str, endpoint: str) -> None:
        """The scenario served at the run's speed, with chaos, recording values and truth."""
        chaos = self.folder / "chaos.yaml"
        chaos.write_text(yaml.safe_dump(OPCUA_CHAOS if self.via == "opcua" else MQTT_CHAOS))
        if self.via == "opcua":
            where = ["opcua", "--endpoint", endpoint]
        else:
            where = ["mqtt", "--broker", broker, "--format", self.via, "--qos", "1"]
        self.simulator = subprocess.Popen(
            [sys.executable, "-m", "smkit", "simulate", *where, "-s", self.scenario,
             "--values", str(self.folder / "values.jsonl"), "--chaos", str(chaos),
             "--truth", str(self.folder / "truth.json"), *args],
            stdout=subprocess.DEVNULL, stderr=(self.folder / "simulator.log").open("ab"),
        )  # fmt: skip

    def start_collector(self) -> None:
        log = (self.folder / "collector.log").open("ab")
        self.collector = subprocess.Popen(
            [sys.executable, "-m", "smkit", "collect", "--plant", str(self.plant_file)],
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        log.close()

    def connected(self) -> bool:
        """Whether the collector reports its source connected (its health file)."""
        try:
            health = json.loads(self.outbox.with_suffix(".health.json").read_text())
        except (OSError, ValueError):
            return False
        return bool(health["sources"][0]["connected"])

    def kill_collector(self) -> None:
        """SIGKILL: no flush, no goodbye."""
        assert self.collector is not None
        self.collector.send_signal(signal.SIGKILL)
        self.collector.wait()
        self.collector = None

    def stop_collector(self) -> int:
        assert self.collector is not None
        self.collector.send_signal(signal.SIGTERM)
        code = self.collector.wait(120)
        self.collector = None
        return code

    def sample_rss(self, fraction: float) -> None:
        if self.collector is None:
            return
        self.rss_mb.append((fraction, tree_rss_kb(self.collector.pid) / 1024))

    def backlog(self) -> int:
        """Samples waiting in the outbox (read-only, beside the running collector)."""
        if not self.outbox.exists():
            return 0
        try:
            with sqlite3.connect(f"file:{self.outbox}?mode=ro", uri=True, timeout=5) as db:
                return int(db.execute("SELECT coalesce(sum(samples), 0) FROM batches")
                           .fetchone()[0])  # fmt: skip
        except sqlite3.Error:
            return -1  # the disk is full or the file is being created: unknown this time

    def served(self) -> Counter[Key]:
        """Every value the simulator served, as often as it was served."""
        out: Counter[Key] = Counter()
        with (self.folder / "values.jsonl").open() as lines:
            for line in lines:
                v = json.loads(line)
                out[(v["machine"], v["signal"], v["ts"], v["value"])] += 1
        return out


def plants(root: Path, outboxes: Path) -> list[SoakPlant]:
    return [
        SoakPlant("cnc", "cnc-cell", "opcua", root / "cnc", outboxes / "cnc-outbox.db"),
        SoakPlant("moulding", "injection-moulding", "json", root / "moulding",
                  outboxes / "moulding-outbox.db"),
        SoakPlant("bottling", "bottling-line", "sparkplug", root / "bottling",
                  outboxes / "bottling-outbox.db"),
    ]  # fmt: skip


def opcua_endpoint() -> str:
    return f"opc.tcp://127.0.0.1:{free_port()}"


class Tmpfs:
    """A small tmpfs for the outboxes, which the soak fills and frees (needs root)."""

    def __init__(self, path: Path, size_mb: int) -> None:
        self.path, self.size_mb = path, size_mb
        self.filler = path / "filler"

    def __enter__(self) -> Tmpfs:
        if os.geteuid() != 0:
            raise SystemExit("the soak mounts a tmpfs for the outboxes: run it as root")
        self.path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m", "tmpfs",
                        str(self.path)], check=True)  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)

    def fill(self) -> int:
        """Take every free byte; how many were taken."""
        taken = 0
        chunk = b"\0" * (1 << 20)
        with self.filler.open("wb", buffering=0) as out:
            while True:
                try:
                    taken += out.write(chunk) or 0
                except OSError:
                    break
            while True:  # the last partial megabyte too
                try:
                    taken += out.write(b"\0" * 4096) or 0
                except OSError:
                    return taken

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


def tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and of its children (a collector's forwarder process),
    in KiB; a process that ended meanwhile counts nothing."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    kb = next((int(line.split()[1]) for line in status.splitlines()
               if line.startswith("VmRSS")), 0)  # fmt: skip
    return kb + sum(tree_rss_kb(int(child)) for child in children)
