"""Live-data evidence: metrics measured on the plant's own data, with a time and a source.

A metric supports or caps a rating; it never replaces the assessor. The file ``smkit readiness
evidence`` writes (JSON) is read back here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field

from smkit.plant.base import ConfigModel, Identifier, LocalText
from smkit.plant.yamlfile import read_text, validate_yaml

METRICS = {
    "machines_connected_share": "machines with data in the window / machines in plant.yaml",
    "machines_standard_protocol_share": "machines with data received over OPC UA or MQTT / "
    "machines in plant.yaml",
    "median_sample_interval_s": "median, over machines, of the median time between a machine's "
    "last 1,000 reports in the window",
    "data_completeness": "planned production time with a known machine state / planned time",
    "machines_with_oee_share": "machines with an OEE value computed from their data / machines",
    "reason_coded_downtime_share": "downtime in planned time with a reason code / all downtime",
    "kpi_history_days": "days from the first to the last day with an OEE value",
}


class LiveMetric(ConfigModel):
    """One measured value: when it was measured, from what, and how (``detail``)."""

    value: float
    time: dt.datetime
    source: str
    detail: LocalText


class EvidenceFile(ConfigModel):
    """Metrics measured on one plant's data over a window."""

    plant: str
    generated: dt.datetime
    window_days: float = Field(gt=0)
    metrics: dict[Identifier, LiveMetric]


def load_evidence(path: str | Path) -> EvidenceFile:
    """Read an evidence file; ConfigError with the place of any problem."""
    text = read_text(Path(path))
    return validate_yaml(text, str(path), EvidenceFile, "'plant' and 'metrics'").model
