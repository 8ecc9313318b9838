"""``readiness`` records: an assessment's band per dimension in the historian, for dashboards
next to OEE (DESIGN.md: measurement ``readiness``, tags ``assessment`` and ``dimension``).

Keyed by the facility's name, the dimension and the assessment date (00:00 UTC), so writing the
same assessment again replaces its records, and a later assessment adds a point in time.
"""

from __future__ import annotations

import datetime as dt

from smkit.historian.protocol import FieldValue, Record
from smkit.readiness.assessment import Assessment
from smkit.readiness.scoring import Score

MEASUREMENT = "readiness"
OVERALL = "overall"


def readiness_records(assessment: Assessment, scored: Score) -> list[Record]:
    """One record per dimension (band, target, gap, progress) and one for the overall index."""
    moment = dt.datetime.combine(assessment.date, dt.time(), dt.UTC)
    ts = int(moment.timestamp()) * 1_000_000_000
    name = assessment.facility.name
    out = []
    for dimension, result in scored.dimensions.items():
        fields: dict[str, FieldValue] = {"band": result.band, "gap": result.gap,
                                         "progress": float(result.progress)}  # fmt: skip
        if result.target is not None:
            fields["target"] = result.target
        tags = {"assessment": name, "dimension": dimension, "pillar": result.pillar,
                "block": result.block, "sector": assessment.facility.sector}  # fmt: skip
        out.append(Record(MEASUREMENT, tags, fields, ts))
    overall_tags = {"assessment": name, "dimension": OVERALL, "sector": assessment.facility.sector}
    out.append(Record(MEASUREMENT, overall_tags,
                      {"index": float(scored.overall), "minimum": scored.minimum}, ts))  # fmt: skip
    return out
