"""A generated plant for the read benchmarks, stored in SQLite and in InfluxDB as smkit stores it.

Per machine: a state change every ~3 minutes (running, idle, failures with a reason, setups,
planned stops), cumulative total/good/reject counters every minute, a product change a day, and
one process value at 1 Hz that an OEE report must not read. Three 8-hour shifts a day with a
break each. The stores are written straight (sqlite3 rows, line protocol) in smkit's own
schema, which is much faster than through the historian and is not what is measured.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import yaml

from smkit.core.sample import Sample
from smkit.historian.lineprotocol import SampleFormatter
from smkit.historian.sqlite import SCHEMA
from smkit.plant.model import MachinePlace

S = 10**9
DAY = 86_400 * S
T0 = 1_767_225_600 * S - 7 * 3600 * S  # 2026-01-01 00:00 in Ho Chi Minh City
STATE_VALUES = np.array([1, 2, 3, 4, 5])  # running, idle, down, setup, planned stop
WEIGHTS = [0.62, 0.2, 0.1, 0.05, 0.03]
REASON = {3: "F1", 4: "C1"}
SIGNALS = {"state": "int", "reason": "str", "total": "int", "good": "int", "reject": "int",
           "product": "str", "temp": "float"}  # fmt: skip
PROCESS = "temp"
PLACE = MachinePlace(site="bench", area="a1", line="l1")


@dataclass(frozen=True)
class Size:
    machines: int
    days: int
    process_hz: float = 1.0
    start_ns: int = T0
    """When the data begins (2026-01-01 unless told: the board benchmark ends it now)."""

    def machine_ids(self) -> list[str]:
        return [f"m{number:03d}" for number in range(self.machines)]


Int64s = npt.NDArray[np.int64]


def machine_series(machine: int, size: Size) -> Iterator[tuple[str, Int64s, list[object]]]:
    """(signal, times, values) of one machine, each in time order."""
    rng = np.random.default_rng(machine)
    t0 = size.start_ns
    end = t0 + size.days * DAY
    gaps = rng.exponential(180.0, int(size.days * 86_400 / 180 * 1.2) + 10)
    ts = t0 + np.cumsum(gaps * S).astype(np.int64)
    ts = ts[ts < end]
    states = rng.choice(STATE_VALUES, len(ts), p=WEIGHTS)
    yield "state", ts, states.tolist()
    yield "reason", ts, [REASON.get(int(v), "") for v in states]
    minutes = np.arange(t0, end, 60 * S, dtype=np.int64)
    made = np.cumsum(rng.integers(0, 4, len(minutes)))
    rejects = np.cumsum(rng.random(len(minutes)) < 0.03)
    yield "total", minutes, made.tolist()
    yield "reject", minutes, rejects.tolist()
    yield "good", minutes, (made - rejects).tolist()
    days = np.arange(t0, end, DAY, dtype=np.int64) + 3600 * S
    yield "product", days, ["a" if day % 2 else "b" for day in range(len(days))]
    step = round(S / size.process_hz)
    seconds = np.arange(t0, end, step, dtype=np.int64)
    yield "temp", seconds, np.round(60 + 5 * np.sin(np.arange(len(seconds)) / 600), 3).tolist()


def write_plant_yaml(folder: Path, size: Size, historian: dict[str, object],
                     lines: int = 1) -> Path:  # fmt: skip
    """plant.yaml of the generated plant with the given historian block, its machines split
    evenly into ``lines`` lines (``l00``...; one line is ``l1``)."""
    signals = [{"name": name, "type": kind,
                "role": {"state": "state", "reason": "reason", "total": "count_total",
                         "good": "count_good", "reject": "count_reject",
                         "product": "product"}.get(name, "process")}
               for name, kind in SIGNALS.items()]  # fmt: skip
    products = [{"id": "a", "ideal_cycle_time_s": 20.0}, {"id": "b", "ideal_cycle_time_s": 15.0}]
    machines = [{"id": m, "state_map": "codes", "signals": signals, "products": products}
                for m in size.machine_ids()]  # fmt: skip
    shifts = [{"id": name, "start": start, "end": end, "breaks": [{"start": rest,
               "end": rest[:3] + "30"}]} for name, start, end, rest in
              (("A", "06:00", "14:00", "10:00"), ("B", "14:00", "22:00", "18:00"),
               ("C", "22:00", "06:00", "02:00"))]  # fmt: skip
    document = {
        "site": {"id": PLACE.site, "timezone": "Asia/Ho_Chi_Minh", "calendar": "three",
                 "areas": [{"id": PLACE.area, "lines": _lines(machines, lines)}]},
        "calendars": {"three": {"shifts": shifts}},
        "state_maps": {"codes": {"kind": "value", "values": {1: "running", 2: "idle",
                       3: "unplanned_down", 4: "setup", 5: "planned_down"}}},
        "reasons": [
            {"code": "F1", "label": {"vi": "Hỏng", "en": "Fault"}, "category": "unplanned_down",
             "iso_element": "ADET", "is_failure": True},
            {"code": "C1", "label": {"vi": "Thay khuôn", "en": "Changeover"},
             "category": "setup", "iso_element": "AUST"},
        ],
        "historian": historian,
        "outbox": {"path": "outbox.db"},
    }  # fmt: skip
    path = folder / f"plant-{historian['kind']}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


def _lines(machines: list[dict[str, object]], count: int) -> list[dict[str, object]]:
    if count == 1:
        return [{"id": PLACE.line, "machines": machines}]
    per = len(machines) // count
    return [{"id": f"l{n:02d}", "machines": machines[n * per : (n + 1) * per]}
            for n in range(count)]  # fmt: skip


def write_sqlite(path: Path, size: Size) -> int:
    """Every sample into an SQLite historian file; returns how many. The 1 Hz process values
    are generated inside SQLite (a recursive CTE), a few times faster than bound rows."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(SCHEMA)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    written = 0
    for number, machine in enumerate(size.machine_ids()):
        db.execute("BEGIN")
        for signal, ts, values in machine_series(number, size):
            series = db.execute(
                "INSERT INTO series (machine, signal, type) VALUES (?, ?, ?) RETURNING id",
                (machine, signal, SIGNALS[signal]),
            ).fetchone()[0]
            if signal == PROCESS:
                db.execute(_PROCESS_ROWS, (len(ts) - 1, series, int(ts[0]), int(ts[1] - ts[0])))
            else:
                db.executemany(
                    "INSERT INTO samples (series, ts, value, quality) VALUES (?, ?, ?, 0)",
                    zip([series] * len(ts), ts.tolist(), values, strict=True),
                )
            written += len(ts)
        db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return written


_PROCESS_ROWS = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
INSERT INTO samples (series, ts, value, quality)
SELECT ?2, ?3 + i * ?4, round(60 + 5 * sin(i / 600.0), 3), 0 FROM n
"""


def write_influx(url: str, database: str, size: Size, batch: int = 50_000) -> int:
    """Every sample into an InfluxDB database as smkit's line protocol; returns how many.
    Two requests are in flight at a time, so formatting overlaps influxd's ingest."""
    formatter = SampleFormatter({m: PLACE for m in size.machine_ids()})
    written = 0
    with httpx.Client(base_url=url, timeout=600) as client, ThreadPoolExecutor(2) as pool:
        client.post("/query", data={"q": f'CREATE DATABASE "{database}"'}).raise_for_status()

        def post(body: str) -> None:
            client.post("/write", params={"db": database, "precision": "ns"},
                        content=body.encode()).raise_for_status()  # fmt: skip

        pending: list[Future[None]] = []
        for number, machine in enumerate(size.machine_ids()):
            for signal, ts, values in machine_series(number, size):
                head = formatter.lines([Sample(machine, signal, 0, values[0])])[0]
                head = head[: head.rindex("=") + 1]
                kind = SIGNALS[signal]
                for at in range(0, len(ts), batch):
                    part = zip(ts[at : at + batch].tolist(), values[at : at + batch], strict=True)
                    if kind == "float":
                        body = "\n".join([f"{head}{v!r} {t}" for t, v in part])
                    else:
                        body = "\n".join(formatter.lines([Sample(machine, signal, t, v)
                                                          for t, v in part]))  # fmt: skip
                    pending.append(pool.submit(post, body))
                    while len(pending) > 2:
                        pending.pop(0).result()
                written += len(ts)
        for future in pending:
            future.result()
    return written
