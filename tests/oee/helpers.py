"""Building engine inputs by hand for worked examples."""

from __future__ import annotations

import numpy as np

from smkit.oee.increments import Increments, increments
from smkit.oee.model import Adjustments, MachineData, Period, ProductChanges, ProductSpec, Settings
from smkit.oee.timeline import StateChanges
from smkit.plant.machine import Counter, Reason, StateCategory
from smkit.plant.schedule import subtract

S = 10**9
MIN = 60 * S
T0 = 1_795_392_000 * S  # 2026-11-24 00:00 UTC

FAULT = Reason(
    code="F1",
    label={"vi": "Hỏng", "en": "Fault"},
    category=StateCategory.UNPLANNED_DOWN,
    iso_element="ADET",
    is_failure=True,
)
CHANGE = Reason(
    code="C1",
    label={"vi": "Thay khuôn", "en": "Changeover"},
    category=StateCategory.SETUP,
    iso_element="AUST",
)
SETTINGS = Settings(reasons={"F1": FAULT, "C1": CHANGE}, small_stop_ns=2 * MIN)


def cumulative(*points: tuple[int, int], counter: Counter | None = None) -> Increments:
    """Increments of a cumulative counter read at (ts, value) points."""
    ts = np.array([p[0] for p in points], dtype=np.int64)
    values = np.array([p[1] for p in points], dtype=np.int64)
    return increments(ts, values, counter or Counter())


def machine(
    states: list[tuple[int, StateCategory, str]],
    *,
    total: Increments | None = None,
    rejects: Increments | None = None,
    good: Increments | None = None,
    rework: Increments | None = None,
    adjustments: Adjustments | None = None,
    products: list[tuple[int, str | None]] | None = None,
    catalog: dict[str, ProductSpec] | None = None,
) -> MachineData:
    return MachineData(
        "m1",
        StateChanges.of(states),
        total=total,
        rejects=rejects,
        good=good,
        rework=rework,
        adjustments=adjustments or Adjustments.none(),
        products=ProductChanges.of(products or []),
        catalog=catalog or {"p1": ProductSpec(1 * S)},
    )


def period(start: int, end: int, *breaks: tuple[int, int]) -> Period:
    """A period whose planned time is all of it but the breaks."""
    return Period(("test", str(start)), start, end, tuple(subtract([(start, end)], breaks)))
