"""Measuring readiness metrics on a plant's own data (the I/O edge of live evidence).

Over a window (30 days to ``end_ns`` by default) it reads each machine's recent reports and the
OEE engine's per-shift results and measures what the framework's automatic criteria ask about:
how many machines send data and over which protocol, how often, how complete the state data is
in planned time, how many machines have an OEE value, how much downtime carries a reason, and
how long the KPI history is. Every metric says how it was measured (``detail``).

How often a machine reports is measured on its last ``RECENT_REPORTS`` reports in the window,
read backwards in growing spans: a month of a machine's every signal at 1 Hz is tens of
millions of samples, which would take the historian and this process minutes and gigabytes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from smkit.core.timeunits import DAY_NS, HOUR_NS, NS_PER_S
from smkit.historian.protocol import Historian
from smkit.oee.elements import Elements, kpis, total
from smkit.oee.rollup import PeriodResult
from smkit.oee.runner import period_results, planned_machines
from smkit.plant.base import LocalText
from smkit.plant.model import Plant
from smkit.readiness.evidence import EvidenceFile, LiveMetric

RECENT_REPORTS = 1_000
_RECENT_VI = f"{RECENT_REPORTS:,}".replace(",", ".")  # Vietnamese groups thousands with dots
Found = tuple[float, tuple[str, str]]  # a value, and how it was measured in vi and en
STANDARD = {"opcua": "OPC UA", "mqtt": "MQTT"}


async def measure(
    plant: Plant, historian: Historian, end_ns: int, window_days: float = 30
) -> EvidenceFile:
    """Every metric of :data:`~smkit.readiness.evidence.METRICS` over the window."""
    start_ns = end_ns - round(window_days * DAY_NS)
    moment = dt.datetime.fromtimestamp(end_ns / NS_PER_S, dt.UTC)
    site = plant.site.name or plant.site.id  # the name is optional in plant.yaml
    source = f"{plant.historian.kind}: {site}"
    found = await _connectivity(plant, historian, start_ns, end_ns)
    results = await period_results(plant, historian, start_ns, end_ns, horizon_ns=end_ns,
                                   machines=planned_machines(plant))  # fmt: skip
    found |= _oee_metrics(results, len(list(plant.machines())))
    metrics = {name: LiveMetric(value=value, time=moment, source=source,
                                detail=LocalText(vi=vi, en=en))
               for name, (value, (vi, en)) in found.items()}  # fmt: skip
    return EvidenceFile(plant=site, generated=moment, window_days=window_days,
                        metrics=metrics)  # fmt: skip


async def _connectivity(
    plant: Plant, historian: Historian, start_ns: int, end_ns: int
) -> dict[str, Found]:
    """Machines with data, over a standard protocol, and how often they report."""
    machines = [m for _, m in plant.machines()]
    kinds = {s.id: s.kind for s in plant.sources}
    with_data, standard, intervals = [], [], []
    for machine in machines:
        signals = [signal.name for signal in machine.signals]
        times = await _recent_reports(historian, machine.id, signals, (start_ns, end_ns))
        if not times:
            continue
        with_data.append(machine.id)
        if kinds.get(machine.source or "") in STANDARD:
            standard.append(machine.id)
        if len(times) > 1:
            intervals.append(statistics.median(b - a for a, b in itertools.pairwise(times)))
    count = len(machines)
    out: dict[str, Found] = {
        "machines_connected_share": (len(with_data) / (count or 1),
                                     (f"{len(with_data)}/{count} máy có dữ liệu",
                                      f"{len(with_data)} of {count} machines with data")),
        "machines_standard_protocol_share": (len(standard) / (count or 1),
                                             (f"{len(standard)}/{count} máy qua OPC UA hoặc MQTT",
                                              f"{len(standard)} of {count} machines over OPC UA "
                                              "or MQTT")),
    }  # fmt: skip
    if intervals:
        median = statistics.median(intervals) / NS_PER_S
        n = len(intervals)
        out["median_sample_interval_s"] = (
            median,
            (f"trung vị của {n} máy, mỗi máy tối đa {_RECENT_VI} lần gửi gần nhất",
             f"median of {n} machines, each over at most its last {RECENT_REPORTS:,} reports"),
        )  # fmt: skip
    return out


async def _recent_reports(
    historian: Historian, machine: str, signals: Sequence[str], window: tuple[int, int]
) -> list[int]:
    """The times of the machine's last ``RECENT_REPORTS`` reports (a report: one or more
    samples at one time) in the window, fewer if it reported less, oldest first."""
    start_ns, end_ns = window
    found: list[npt.NDArray[np.int64]] = []
    count, upper, span = 0, end_ns, HOUR_NS
    while upper > start_ns and count < RECENT_REPORTS:
        lower = max(start_ns, upper - span)
        columns = await historian.read_columns(machine, lower, upper, signals)
        found += [
            column.ts[column.ts >= lower] for column in columns.values()
        ]  # not the one before
        count = len(np.unique(np.concatenate(found))) if found else 0
        upper, span = lower, span * 4
    times = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    return [int(ts) for ts in times[-RECENT_REPORTS:]]


def _oee_metrics(results: Sequence[PeriodResult], machines: int) -> dict[str, Found]:
    """Completeness, automatic OEE, reason-coded downtime and history, from shift results."""
    per_machine: dict[str, list[PeriodResult]] = {}
    for result in results:
        per_machine.setdefault(result.machine, []).append(result)
    summed = total(r.elements for r in results)
    out: dict[str, Found] = {}
    if summed.planned_ns:
        known, planned = summed.planned_ns - summed.unknown_ns, summed.planned_ns
        hours = f"{known / 3600e9:.1f}/{planned / 3600e9:.1f}"
        out["data_completeness"] = (known / planned,
                                    (f"{hours} giờ kế hoạch có trạng thái máy",
                                     f"{hours} planned hours with a known state"))  # fmt: skip
    with_oee = [m for m, rs in per_machine.items() if _has_oee(total(r.elements for r in rs))]
    n = len(with_oee)
    how = (f"{n}/{machines} máy có OEE", f"{n} of {machines} machines with OEE")
    out["machines_with_oee_share"] = (n / (machines or 1), how)
    down = summed.downtime_by_reason
    all_down = sum(down.values())
    if all_down:
        coded = sum(ns for reason, ns in down.items() if not reason.startswith("("))
        minutes = f"{coded / 60e9:.0f}/{all_down / 60e9:.0f}"
        how = (
            f"{minutes} phút dừng có mã nguyên nhân",
            f"{minutes} minutes of downtime with a reason",
        )
        out["reason_coded_downtime_share"] = (coded / all_down, how)
    days = sorted({r.key[1] for r in results if _has_oee(r.elements)})
    if days:
        first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
        span = f"{days[0]} → {days[-1]}"
        out["kpi_history_days"] = ((last - first).days + 1, (span, span))
    return out


def _has_oee(elements: Elements) -> bool:
    return kpis(elements)["oee"].value is not None
