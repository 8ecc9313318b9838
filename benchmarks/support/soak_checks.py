"""What the soak checks once a run is over: every served value stored once, nothing else stored
as good, and every shift's A, P, Q and OEE (from ``smkit oee report``, as a user runs it)
equal to the simulator's truth within 0.1 percentage point."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from smkit.core.sample import Quality
from smkit.historian.influx import InfluxHistorian
from smkit.historian.influx_http import InfluxHttp
from smkit.plant import load_plant
from support.soak_plants import Key, SoakPlant
from tests.simulated_plant import without_quality_counters

KPIS = ("availability", "performance", "quality", "oee")
TOLERANCE_PP = 0.1


@dataclass(frozen=True)
class Stored:
    """What one plant's collector stored, against what its simulator served."""

    published: int
    stored: int
    lost: int
    extra: int
    """Good samples stored that were never served and repeat no served value (wrong data)."""
    repeats: int
    """Samples that repeat the value served before them (a Sparkplug birth after a death marks
    each value valid again at the birth's time): not served as such, and harmless."""
    bad_marks: int
    """Bad-quality samples (an edge node's death makes its metrics stale): expected, not data."""
    lost_examples: list[Key]


@dataclass(frozen=True)
class ShiftCheck:
    compared: int
    worst_pp: float
    wrong: list[str]


def stored_keys(plant: SoakPlant, url: str) -> tuple[Counter[Key], int]:
    """The good samples the historian holds for the run (each key counted), and the bad ones."""
    model = load_plant(plant.plant_file)
    truth = plant.truth
    historian = InfluxHistorian(InfluxHttp(url, f"soak_{plant.name}"), model.places())

    async def read() -> tuple[Counter[Key], int]:
        good: Counter[Key] = Counter()
        bad = 0
        try:
            for _, machine in model.machines():
                names = [s.name for s in machine.signals]
                columns = await historian.read_columns(machine.id, truth["start"],
                                                       truth["end"] + 1, names)  # fmt: skip
                for signal, column in columns.items():
                    for ts, value, quality in zip(
                        column.ts.tolist(), column.values, column.quality.tolist(), strict=True
                    ):
                        if ts < truth["start"]:
                            continue  # the column's lead, before the run
                        if quality == Quality.GOOD:
                            good[(machine.id, signal, ts, value)] += 1
                        else:
                            bad += 1
        finally:
            await historian.close()
        return good, bad

    return asyncio.run(read())


def compare(plant: SoakPlant, url: str) -> Stored:
    served = plant.served()
    good, bad = stored_keys(plant, url)
    lost = served.keys() - good.keys()
    extra = good.keys() - served.keys()
    repeats = repeated(extra, served)
    return Stored(sum(served.values()), sum(good.values()), len(lost), len(extra - repeats),
                  len(repeats), bad, sorted(lost)[:3])  # fmt: skip


def repeated(extra: set[Key], served: Counter[Key]) -> set[Key]:
    """The keys of ``extra`` whose value is the one their series was last served before."""
    series: dict[tuple[str, str], list[tuple[int, Any]]] = {(m, s): [] for m, s, _, _ in extra}
    for machine, signal, ts, value in served:
        if (machine, signal) in series:
            series[(machine, signal)].append((ts, value))
    out = set()
    for key in extra:
        before = [point for point in series[key[:2]] if point[0] < key[2]]
        if before and max(before, key=lambda point: point[0])[1] == key[3]:
            out.add(key)
    return out


def shifts(plant: SoakPlant) -> ShiftCheck:
    """``smkit oee report --by shift`` over the run, shift by shift against the truth."""
    truth = plant.truth
    model = load_plant(plant.plant_file)
    zone = ZoneInfo(model.site.timezone)

    def local(ns: int) -> str:
        return dt.datetime.fromtimestamp(ns / 1e9, zone).replace(tzinfo=None).isoformat()

    done = subprocess.run(
        [sys.executable, "-m", "smkit", "oee", "report", "--plant", str(plant.plant_file),
         "--from", local(truth["start"]), "--to", local(truth["end"]), "--by", "shift",
         "--format", "json"],
        capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0:
        return ShiftCheck(0, float("inf"), [f"smkit oee report: {done.stderr.strip()}"])
    rows = {(r["entity"], r["period"]): r for r in json.loads(done.stdout)}
    blind = without_quality_counters(model)
    compared, worst, wrong = 0, 0.0, []
    for shift in truth["shifts"]:
        where = f"{shift['machine']} {shift['day']} {shift['shift']}"
        row = rows.get((shift["machine"], f"{shift['day']} {shift['shift']}"))
        if row is None:
            wrong.append(f"{where}: no row in the report")
            continue
        for name in KPIS:
            if shift["machine"] in blind and name in ("quality", "oee"):
                continue
            want, got = shift[name], row[name]
            if want is None or got is None:
                if (want is None) != (got is None):
                    wrong.append(f"{where} {name}: {got} != {want}")
                continue
            off = abs(got - want) * 100
            worst = max(worst, off)
            if off > TOLERANCE_PP:
                wrong.append(f"{where} {name}: {got:.5f} != {want:.5f}")
            compared += 1
    return ShiftCheck(compared, worst, wrong)
