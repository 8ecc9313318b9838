"""Chart geometry for the pages' inline SVG, computed here so the templates only draw it:
a state timeline, horizontal bars (waterfall, Pareto) and a signal's min/max band. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smkit.core.reduce import Reduced
from smkit.oee.timeline import CATEGORIES, StateChanges

WIDTH = 1000.0
"""Every chart is drawn in a 1000-unit wide box and scaled to the page by its viewBox."""


@dataclass(frozen=True)
class Segment:
    """A stretch of one state on the timeline: x and width in chart units."""

    x: float
    width: float
    state: str
    reason: str
    start_ns: int
    end_ns: int


def timeline(changes: StateChanges, start_ns: int, end_ns: int,
             scale_end_ns: int | None = None) -> list[Segment]:  # fmt: skip
    """The states over [start_ns, end_ns), one segment per stretch (``none`` before the first
    known state), on a scale to ``scale_end_ns`` (a shift still going on: its end)."""
    span = max((scale_end_ns or end_ns) - start_ns, 1)
    ts = changes.ts.tolist()
    stretch: list[tuple[int, str, str]] = [(start_ns, "none", "")]
    for t, code, reason in zip(ts, changes.category.tolist(), changes.reason.tolist(), strict=True):
        state, why = CATEGORIES[code].value, changes.reason_names[reason]
        if t >= end_ns:
            break
        at = max(t, start_ns)
        if stretch[-1][0] == at:
            stretch[-1] = (at, state, why)
        elif (state, why) != stretch[-1][1:]:
            stretch.append((at, state, why))
    out = []
    for (a, state, why), (b, _, _) in zip(stretch, [*stretch[1:], (end_ns, "", "")], strict=True):
        if b > a:
            out.append(Segment((a - start_ns) / span * WIDTH, (b - a) / span * WIDTH, state, why,
                               a, b))  # fmt: skip
    return out


@dataclass(frozen=True)
class Bar:
    """A horizontal bar: where it starts and how long it is (chart units), its value."""

    label: str
    x: float
    width: float
    value: float
    share: float


def bars(values: Sequence[tuple[str, float]], total: float) -> list[Bar]:
    """One bar per value from the left edge, scaled so ``total`` fills the width."""
    scale = WIDTH / total if total > 0 else 0.0
    return [Bar(label, 0.0, value * scale, value, value / total if total else 0.0)
            for label, value in values]  # fmt: skip


def waterfall_bars(planned: float, losses: Sequence[tuple[str, float]]) -> list[Bar]:
    """Planned time first, then each loss taken off what is left, ending at the valuable time."""
    scale = WIDTH / planned if planned > 0 else 0.0
    out = [Bar("planned", 0.0, planned * scale, planned, 1.0 if planned else 0.0)]
    left = planned
    for label, value in losses:
        left -= value
        out.append(Bar(label, left * scale, value * scale, value,
                       value / planned if planned else 0.0))  # fmt: skip
    return out


@dataclass(frozen=True)
class Band:
    """A numeric signal over a window: polyline points of its mean path and min/max band."""

    line: str
    band: str
    low: float
    high: float


def band(found: Reduced, start_ns: int, end_ns: int, height: float) -> Band | None:
    """The signal's buckets drawn in a ``WIDTH`` by ``height`` box; None when it has no numbers."""
    rows = [(t, lo, hi, last) for t, lo, hi, last in zip(found.ts, found.minimum, found.maximum,
            found.last, strict=True) if lo is not None and hi is not None]  # fmt: skip
    if not rows:
        return None
    low, high = min(r[1] for r in rows), max(r[2] for r in rows)
    spread = (high - low) or 1.0
    span = max(end_ns - start_ns, 1)

    def x(t: int) -> float:
        return round((t - start_ns) / span * WIDTH, 1)

    def y(v: float) -> float:
        return round(height - (v - low) / spread * height, 1)

    last = [(x(t), y(float(v))) for t, _, _, v in rows if isinstance(v, int | float)]
    line = " ".join(f"{a},{b}" for a, b in last)
    upper = [f"{x(t)},{y(hi)}" for t, _, hi, _ in rows]
    lower = [f"{x(t)},{y(lo)}" for t, lo, _, _ in reversed(rows)]
    return Band(line, " ".join(upper + lower), low, high)
