"""A simulated week of three plants under faults, into a real influxd: nothing lost, OEE equal
to the truth, and the collectors' memory flat.

Three scenarios run at once at --speed, each with its simulator's chaos on (sessions dropped,
publishers disconnected, duplicated, reordered and malformed messages) and its own collector
process (``smkit collect``), all writing to one ``influxd``, every outbox on one small tmpfs:

* the CNC cell over OPC UA (the server keeps history; a collector started again reads its gap
  back), the moulding shop as JSON over MQTT 5, the bottling line as Sparkplug B over MQTT 5;

and, at set points of the run (fractions of its simulated time):

* 0.06 and 0.30: every collector SIGKILLed, started again 3 s later;
* 0.12: influxd stopped for a seventh of the run (a simulated day of a week: a WAN link to a
  central historian down), the collectors collecting on into their outboxes, then draining;
* 0.40: the broker restarted;
* 0.50: the outboxes' disk filled to the last byte, and freed again after a while.

Printed per plant: samples published, stored, lost and stored but never served; every shift's
A, P, Q and OEE from ``smkit oee report`` against the simulator's truth (the worst difference);
the collector's RSS (with its forwarder process) over the run and its growth after warm-up
(from 0.40, or 30 s after the last restart if later, to the end); and the backlog's drain rate
once influxd is back (net of the live data still arriving, and gross).
``make test`` runs a short version (tests/soak/test_soak.py) with the same checks.

Needs root (``mount -t tmpfs``), mosquitto and influxd (``make test`` installs both).

Usage: python benchmarks/soak.py [--days 7] [--speed 300] [--seed 1] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the truth checks of the tests

from support.soak_checks import compare, shifts
from support.soak_plants import SoakPlant, Tmpfs, opcua_endpoint, plants

from smkit.localservers import LocalInflux, LocalMosquitto

KILLS = (0.06, 0.30)
INFLUX_DOWN = 0.12
BROKER_RESTART = 0.40
DISK_FULL = 0.50
WARM = 0.40
"""RSS growth is measured from here (a tenth of the run after the second restart) to the end,
unless WARM_WALL_S after the last restart comes later."""
WARM_WALL_S = 30.0
"""How long after the collectors were last started again RSS growth is measured from, at the
earliest: a restarted collector reads its gap back and fills its caches, and on a short run
its memory still rose at WARM (warm-up, not growth)."""
START_AFTER_S = 10.0


@dataclass
class Run:
    """The servers, the plants and what was seen while the run went on."""

    options: argparse.Namespace
    root: Path
    influx: LocalInflux
    broker: LocalMosquitto
    disk: Tmpfs
    plants: list[SoakPlant]
    begun: float = 0.0
    events: list[tuple[float, str]] = field(default_factory=list)
    backlog: list[tuple[float, float, int]] = field(default_factory=list)
    """(wall seconds since the simulated clock started, fraction of the run, samples waiting)."""

    @property
    def wall_s(self) -> float:
        return float(self.options.days * 86400 / self.options.speed)

    def fraction(self) -> float:
        return (time.monotonic() - self.begun) / self.wall_s

    def note(self, what: str) -> None:
        self.events.append((round(self.fraction(), 3), what))
        print(f"  {self.fraction():5.2f} of the run: {what}", flush=True)


def schedule(run: Run) -> list[tuple[float, Callable[[], None]]]:
    """The faults, each at its fraction of the run."""
    outage = 1 / 7
    hold = max(5.0, 0.02 * run.wall_s)

    def kill() -> None:
        for plant in run.plants:
            plant.kill_collector()
        run.note("every collector SIGKILLed")
        time.sleep(3.0)
        for plant in run.plants:
            plant.start_collector()
        run.note("collectors started again")

    def influx(up: bool) -> Callable[[], None]:
        def act() -> None:
            (run.influx.start if up else run.influx.stop)()
            run.note("influxd started again" if up else "influxd stopped")

        return act

    def broker() -> None:
        run.broker.stop()
        run.note("broker stopped")
        time.sleep(2.0)
        run.broker.start()
        run.note("broker started again")

    def disk() -> None:
        taken = run.disk.fill()
        run.note(f"outbox disk full ({taken / 2**20:.0f} MB filler)")
        time.sleep(hold)
        run.disk.free()
        run.note("outbox disk freed")

    return sorted([(KILLS[0], kill), (KILLS[1], kill), (INFLUX_DOWN, influx(False)),
                   (INFLUX_DOWN + outage, influx(True)), (BROKER_RESTART, broker),
                   (DISK_FULL, disk)], key=lambda event: event[0])  # fmt: skip


def start(run: Run) -> None:
    endpoint = opcua_endpoint()
    args = ["--speed", str(run.options.speed), "--duration", f"{run.options.days * 24:g}h",
            "--seed", str(run.options.seed), "--start-after", f"{START_AFTER_S:g}s",
            "--linger", "20s"]  # fmt: skip
    for plant in run.plants:
        plant.write_plant(run.broker.url, endpoint, run.influx.url)
        plant.start_collector()
    # the MQTT collectors subscribed first: Sparkplug births are QoS 0, kept for no one
    deadline = time.monotonic() + 60
    while not all(p.connected() for p in run.plants if p.via != "opcua"):
        if time.monotonic() > deadline:
            raise SystemExit("the MQTT collectors did not connect within 60 s")
        time.sleep(0.2)
    for plant in run.plants:
        plant.start_simulator(args, run.broker.url, endpoint)
    run.begun = time.monotonic() + START_AFTER_S


def watch(run: Run) -> None:
    """Fire the faults when due; sample the backlog and the collectors' RSS until every
    simulator has finished and every outbox is empty."""
    due = schedule(run)
    last_rss = 0.0
    while True:
        now = run.fraction()
        while due and due[0][0] <= now:
            due.pop(0)[1]()
        waiting = [plant.backlog() for plant in run.plants]
        run.backlog.append((time.monotonic() - run.begun, now, sum(max(0, w) for w in waiting)))
        if time.monotonic() - last_rss >= 2.0:
            last_rss = time.monotonic()
            for plant in run.plants:
                plant.sample_rss(now)
        finished = all(p.simulator is not None and p.simulator.poll() is not None
                       for p in run.plants)  # fmt: skip
        if finished and not due and all(w == 0 for w in waiting):
            return
        time.sleep(1.0)


def drain_rates(run: Run) -> dict[str, float]:
    """Once influxd is back: how fast the backlog fell (net of what still arrived) and the
    rate at which the collectors stored meanwhile (gross: net plus what arrived)."""
    up = next(t for f, what in run.events if what == "influxd started again"
              for t in [f * run.wall_s])  # fmt: skip
    before = [b for t, _, b in run.backlog if t < INFLUX_DOWN * run.wall_s and t > 0]
    floor = 2 * max(statistics.median(before) if before else 0, 1000)
    after = [(t, b) for t, _, b in run.backlog if t >= up]
    peak_t, peak = max(after[:10], key=lambda point: point[1])
    drained = next((t for t, b in after if t > peak_t and b <= floor), after[-1][0])
    outage = [(t, b) for t, _, b in run.backlog if INFLUX_DOWN * run.wall_s <= t < up]
    arriving = (outage[-1][1] - outage[0][1]) / (outage[-1][0] - outage[0][0]) if outage else 0
    net = (peak - floor) / max(drained - peak_t, 1e-9)
    return {"backlog_peak": peak, "drain_s": drained - peak_t, "net_per_s": net,
            "arriving_per_s": arriving, "gross_per_s": net + arriving}  # fmt: skip


def warm_from(run: Run) -> float:
    """Where RSS growth is measured from (a fraction of the run): see WARM and WARM_WALL_S."""
    restarted = max(f for f, what in run.events if what == "collectors started again")
    return max(WARM, restarted + WARM_WALL_S / run.wall_s)


def rss_growth(plant: SoakPlant, warm_at: float) -> dict[str, float]:
    """RSS at warm-up (median of the first 5 % after ``warm_at``) against the end (the last
    5 %)."""
    window = [(f, mb) for f, mb in plant.rss_mb if f >= warm_at]
    if len(window) < 4:
        return {"warm_mb": 0.0, "end_mb": 0.0, "max_mb": 0.0, "growth": 0.0, "from": warm_at}
    span = max(f for f, _ in window) - warm_at
    first = [mb for f, mb in window if f <= warm_at + 0.05 * span] or [window[0][1]]
    last = [mb for f, mb in window if f >= warm_at + 0.95 * span] or [window[-1][1]]
    warm, end = statistics.median(first), statistics.median(last)
    return {"warm_mb": warm, "end_mb": end, "max_mb": max(mb for _, mb in window),
            "growth": end / warm - 1, "from": warm_at}  # fmt: skip


def finish(run: Run) -> dict[str, Any]:
    time.sleep(5.0)  # the last acknowledgements and forwarder turns
    codes = {plant.name: plant.stop_collector() for plant in run.plants}
    report: dict[str, Any] = {
        "days": run.options.days,
        "speed": run.options.speed,
        "events": run.events,
        "drain": drain_rates(run),
        "plants": {},
    }
    for plant in run.plants:
        stored = compare(plant, run.influx.url)
        check = shifts(plant)
        report["plants"][plant.name] = {
            "via": plant.via, **asdict(stored), "exit_code": codes[plant.name],
            "shifts_compared": check.compared, "worst_pp": check.worst_pp,
            "shifts_wrong": check.wrong[:10], "rss": rss_growth(plant, warm_from(run)),
            "rss_mb": [(round(f, 3), round(mb, 1)) for f, mb in plant.rss_mb],
        }  # fmt: skip
    return report


def show(report: dict[str, Any]) -> None:
    days = report["days"]
    print(f"\n{days:g} simulated days at {report['speed']}x, three plants, chaos on, into influxd")
    print(f"  {'plant':<9} {'via':<9} {'published':>10} {'stored':>10} {'lost':>5} "
          f"{'extra':>5} {'repeats':>7} {'bad marks':>9} {'shift KPIs':>10} {'worst':>8} "
          f"{'RSS warm':>8} {'end':>6} {'growth':>6}")  # fmt: skip
    for name, p in report["plants"].items():
        rss = p["rss"]
        print(f"  {name:<9} {p['via']:<9} {p['published']:>10,} {p['stored']:>10,} "
              f"{p['lost']:>5} {p['extra']:>5} {p['repeats']:>7} {p['bad_marks']:>9,} "
              f"{p['shifts_compared']:>10} "
              f"{p['worst_pp']:>6.4f}pp {rss['warm_mb']:>6.0f}MB {rss['end_mb']:>4.0f}MB "
              f"{100 * rss['growth']:>5.1f}%")  # fmt: skip
        for wrong in p["shifts_wrong"]:
            print(f"    shift off by more than 0.1 pp: {wrong}")
        if p["lost"]:
            print(f"    lost, e.g. {p['lost_examples']}")
    d = report["drain"]
    print(
        f"  backlog after the influxd outage: {d['backlog_peak']:,} samples, drained in "
        f"{d['drain_s']:.0f} s: {d['net_per_s']:,.0f} samples/s net of the "
        f"{d['arriving_per_s']:,.0f}/s still arriving ({d['gross_per_s']:,.0f}/s stored)"
    )
    ok = all(p["lost"] == 0 and p["extra"] == 0 and not p["shifts_wrong"]
             and p["rss"]["growth"] <= 0.10 for p in report["plants"].values())  # fmt: skip
    print(f"  targets (0 lost, 0 extra, every shift within 0.1 pp, RSS growth <= 10 %): "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip


def main(options: argparse.Namespace) -> dict[str, Any]:
    # a SIGTERM (a CI timeout, say) stops every process and unmounts the tmpfs on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="smkit-soak-") as folder:
        root = Path(options.keep or folder)
        with Tmpfs(root / "outboxes", options.disk_mb) as disk:
            influx, broker = LocalInflux(root / "influxd"), LocalMosquitto(root / "broker")
            chosen = [p for p in plants(root, disk.path) if p.name in options.plants]
            run = Run(options, root, influx, broker, disk, chosen)
            influx.start()
            broker.start()
            try:
                start(run)
                watch(run)
                report = finish(run)
            finally:
                for plant in run.plants:
                    for process in (plant.collector, plant.simulator):
                        if process is not None and process.poll() is None:
                            process.kill()
                broker.stop()
                influx.stop()
                if options.keep:
                    shutil.copytree(disk.path, root / "outboxes-kept", dirs_exist_ok=True)
    show(report)
    if options.report:
        Path(options.report).write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0, help="simulated days")
    parser.add_argument("--speed", type=float, default=300.0, help="simulated s per wall s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--disk-mb", type=int, default=256, help="the outboxes' tmpfs")
    parser.add_argument(
        "--plants",
        nargs="+",
        default=["cnc", "moulding", "bottling"],
        choices=["cnc", "moulding", "bottling"],
        help="run only these",
    )
    parser.add_argument("--report", help="also write the figures here as JSON")
    parser.add_argument("--keep", help="run in this folder and keep it (logs, values, truth)")
    main(parser.parse_args())
