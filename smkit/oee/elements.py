"""The time model of a machine (or a group of machines) over a period, and the KPIs it gives.

Every KPI derives from sums: time elements in integer nanoseconds, ideal times as exact
rationals (an ideal cycle making 16 parts gives each a sixteenth of it; a whole number of
nanoseconds is kept as an ``int``, the rest as a ``Fraction``), counts as integers. Roll-ups
add elements and divide afterwards; a percentage is never averaged.

Inside planned production time (planned busy time, PBT, in ISO 22400) every nanosecond falls in
exactly one element::

    planned = running + setup + breakdown + small_stop + idle + planned_stop + unknown

and running time splits by the ideal time of what was made::

    running = valuable + startup_rejects + production_rejects + rework + reduced_speed

so the losses and the valuable time add up to the planned time exactly (``reduced_speed`` is
negative when the machine ran faster than its ideal cycle time: performance above 100 %).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from fractions import Fraction

from smkit.core.timeunits import NS_PER_S

Exact = int | Fraction

TIME_FIELDS = ("all_ns", "planned_ns", "running_ns", "setup_ns", "breakdown_ns",
               "small_stop_ns", "idle_ns", "planned_stop_ns", "unknown_ns",
               "outside_running_ns")  # fmt: skip
IDEAL_FIELDS = ("ideal_ns", "valuable_ns", "startup_reject_ns", "production_reject_ns",
                "rework_ns")  # fmt: skip
COUNT_FIELDS = ("total", "good", "rejects", "startup_rejects", "production_rejects", "rework",
                "failures", "failure_ns", "outside_count", "unpriced_count",
                "unapplied_adjustment", "counter_anomalies", "anomalous_units")  # fmt: skip


@dataclass(slots=True)  # a year of shifts is thousands of them: slots build in half the time
class Elements:
    """Sums for one machine (or several) over one period.

    ``all_ns`` is the whole period (calendar time), ``planned_ns`` the planned production time
    inside it. ``outside_running_ns`` and ``outside_count`` are running time and units made
    outside planned time: reported, not part of A, P, Q. ``unpriced_count`` counts units made
    while no ideal cycle time was known (they are in Q, not in P). ``failure_ns`` is the whole
    length of the failures that began in the period (for MTTR). ``rework`` counts units that
    failed their first inspection but can be reworked: neither good nor rejects (scrap).
    ``unapplied_adjustment`` counts units of late quality findings stamped outside planned
    time (not applied). ``unknown_states`` counts the raw state values the state map does not
    list, sent in the period. ``no_data`` counts periods with planned time in which the machine
    sent no sample at all (its last state was carried through them: see ``no_data_since_ns``,
    the time of its last sample before the earliest of them, None when there was none).
    """

    all_ns: int = 0
    planned_ns: int = 0
    running_ns: int = 0
    setup_ns: int = 0
    breakdown_ns: int = 0
    small_stop_ns: int = 0
    idle_ns: int = 0
    planned_stop_ns: int = 0
    unknown_ns: int = 0
    outside_running_ns: int = 0
    ideal_ns: Exact = 0
    valuable_ns: Exact = 0
    startup_reject_ns: Exact = 0
    production_reject_ns: Exact = 0
    rework_ns: Exact = 0
    total: int = 0
    good: int = 0
    rejects: int = 0
    startup_rejects: int = 0
    production_rejects: int = 0
    rework: int = 0
    failures: int = 0
    failure_ns: int = 0
    outside_count: int = 0
    unpriced_count: int = 0
    unapplied_adjustment: int = 0
    counter_anomalies: int = 0
    anomalous_units: int = 0
    no_data: int = 0
    no_data_since_ns: int | None = None
    downtime_by_reason: dict[str, int] = field(default_factory=dict)
    unknown_states: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Elements) -> Elements:
        summed = Elements(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in _SCALARS}
        )
        summed.downtime_by_reason = _merge(self.downtime_by_reason, other.downtime_by_reason)
        summed.unknown_states = _merge(self.unknown_states, other.unknown_states)
        summed.no_data_since_ns = _earliest(self, other)
        return summed

    def __reduce__(self) -> tuple[type[Elements], tuple[object, ...]]:
        # Pickled as its field values in order: a report's helper process sends thousands
        # (see oee/parallel.py), and this takes half the time of the default for slots.
        return Elements, tuple(getattr(self, name) for name in _NAMES)

    @property
    def reduced_speed_ns(self) -> Exact:
        """Running time beyond the ideal time of everything made (negative above 100 %)."""
        return self.running_ns - self.ideal_ns

    def losses(self) -> dict[str, Fraction]:
        """Planned time by loss (Nakajima's six big losses and the rest), in nanoseconds."""
        return {
            "breakdowns": Fraction(self.breakdown_ns),
            "setup_and_adjustment": Fraction(self.setup_ns),
            "small_stops": Fraction(self.small_stop_ns),
            "idling": Fraction(self.idle_ns),
            "planned_stops": Fraction(self.planned_stop_ns),
            "unknown": Fraction(self.unknown_ns),
            "reduced_speed": Fraction(self.reduced_speed_ns),
            "startup_rejects": Fraction(self.startup_reject_ns),
            "production_rejects": Fraction(self.production_reject_ns),
            "rework": Fraction(self.rework_ns),
        }


_NAMES = tuple(f.name for f in fields(Elements))
_SCALARS = [
    f
    for f in fields(Elements)
    if f.name not in ("downtime_by_reason", "unknown_states", "no_data_since_ns")
]


def _earliest(first: Elements, second: Elements) -> int | None:
    """Since when the earlier of two silent spans had no sample."""
    since = [e.no_data_since_ns for e in (first, second) if e.no_data]
    return None if not since or None in since else min(s for s in since if s is not None)


def _merge(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    merged = dict(first)
    for key, value in second.items():
        merged[key] = merged.get(key, 0) + value
    return merged


def total(parts: Iterable[Elements]) -> Elements:
    """The elements of several machines or periods together; of one, that one (elements are
    never changed once made: ``+`` makes new ones)."""
    every = list(parts)
    if len(every) == 1:
        return every[0]
    summed = Elements()
    for part in every:
        summed = summed + part
    return summed


class Ratio:
    """A KPI value, or why there is none (a zero denominator).

    It keeps its numerator and denominator and makes the exact ``Fraction`` only when asked:
    a month's report has tens of thousands of KPIs, and most are only ever a float, which
    ``int / int`` gives correctly rounded at a fraction of the cost.
    """

    __slots__ = ("_denominator", "_numerator", "reason")

    def __init__(self, value: Fraction | None, reason: str | None = None) -> None:
        self._numerator = None if value is None else value.numerator
        self._denominator = 1 if value is None else value.denominator
        self.reason = reason

    @classmethod
    def of(cls, numerator: int, denominator: int) -> Ratio:
        """``numerator / denominator`` (the denominator not zero)."""
        made = object.__new__(cls)
        made._numerator, made._denominator, made.reason = numerator, denominator, None
        return made

    @property
    def known(self) -> bool:
        """Whether there is a value."""
        return self._numerator is not None

    @property
    def value(self) -> Fraction | None:
        """The exact value, or None."""
        return None if self._numerator is None else Fraction(self._numerator, self._denominator)

    def __float__(self) -> float:
        return float("nan") if self._numerator is None else self._numerator / self._denominator

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ratio):
            return NotImplemented
        return (self.value, self.reason) == (other.value, other.reason)

    def __hash__(self) -> int:
        return hash((self.value, self.reason))

    def __repr__(self) -> str:
        return f"Ratio({self.value!r}, {self.reason!r})"


def ratio(numerator: Exact, denominator: Exact, what: str) -> Ratio:
    """``numerator / denominator``, or no value when ``what`` (the denominator) is zero."""
    if denominator == 0:
        return Ratio(None, f"no {what}")
    if isinstance(numerator, int) and isinstance(denominator, int):
        return Ratio.of(numerator, denominator)
    return Ratio(Fraction(numerator, denominator))


def kpis(e: Elements, *, exclude_unknown: bool = False) -> dict[str, Ratio]:
    """Every KPI of the elements (ISO 22400 and Nakajima conventions, TEEP, maintenance).

    Unknown time is a loss of availability unless ``exclude_unknown`` takes it out of the
    planned time (the data, not the machine, was missing).
    """
    planned = e.planned_ns - e.unknown_ns if exclude_unknown else e.planned_ns
    operating = planned - e.breakdown_ns - e.setup_ns - e.planned_stop_ns
    if not exclude_unknown:
        operating -= e.unknown_ns
    priced_total = e.total - e.unpriced_count
    out = {
        "availability": ratio(e.running_ns, planned, "planned production time"),
        "performance": ratio(e.ideal_ns, e.running_ns, "running time"),
        "quality": ratio(e.good, e.total, "units counted"),
        "oee": ratio(e.valuable_ns, planned, "planned production time"),
        "availability_nakajima": ratio(operating, planned, "planned production time"),
        "performance_nakajima": ratio(e.ideal_ns, operating, "operating time"),
        "teep": ratio(e.valuable_ns, e.all_ns, "calendar time"),
        "utilisation": ratio(e.planned_ns, e.all_ns, "calendar time"),
        "scrap_ratio": ratio(e.rejects, e.total, "units counted"),
        "rework_ratio": ratio(e.rework, e.total, "units counted"),
        "first_pass_yield": ratio(e.good, e.total, "units counted"),
        "mttr_s": ratio(e.failure_ns, e.failures * NS_PER_S, "failure"),
        "mttf_s": ratio(e.running_ns, e.failures * NS_PER_S, "failure"),
        "mtbf_s": ratio(e.running_ns + e.failure_ns, e.failures * NS_PER_S, "failure"),
    }
    if priced_total != e.total and e.total:
        out["performance"] = Ratio(None, "units made without an ideal cycle time")
    if e.planned_ns and e.unknown_ns == e.planned_ns:
        nothing = Ratio(None, "no machine state known in planned production time")
        for name in ("availability", "oee", "availability_nakajima", "teep"):
            out[name] = nothing
    return out


def flags(e: Elements) -> list[str]:
    """Data-quality warnings: reported with the result, never hidden by clipping it."""
    found = []
    if e.running_ns and e.ideal_ns > e.running_ns:
        percent = float(e.ideal_ns / e.running_ns) * 100
        found.append(f"performance {percent:.1f} % is above 100 %: ideal cycle time too long?")
    if e.unknown_ns:
        found.append(f"{e.unknown_ns / NS_PER_S:.0f} s of planned time with no known state")
    if e.counter_anomalies:
        found.append(
            f"{e.counter_anomalies} implausible counter jumps ({e.anomalous_units} units) left out"
        )
    if e.unpriced_count:
        found.append(f"{e.unpriced_count} units made with no ideal cycle time known")
    if e.good < 0:
        found.append(
            f"good count {e.good} is below zero: late scrap or rework findings exceed the good "
            "units made (findings stamped at the wrong time?)"
        )
    if e.unapplied_adjustment:
        found.append(
            f"{e.unapplied_adjustment} units of late scrap or rework stamped outside planned "
            "production time, not applied"
        )
    if e.outside_count:
        found.append(f"{e.outside_count} units made outside planned production time")
    if e.no_data:
        since = (
            "no sample before it"
            if e.no_data_since_ns is None
            else "the last sample before it at "
            + dt.datetime.fromtimestamp(e.no_data_since_ns // NS_PER_S, dt.UTC).isoformat()
        )
        found.append(
            f"no data: the machine sent no sample in {e.no_data} period(s) with planned time "
            f"({since}); its last state was carried through"
        )
    if e.unknown_states:
        listed = ", ".join(f"{value!r} ({n})" for value, n in sorted(e.unknown_states.items()))
        found.append(f"state values not in the state map: {listed}")
    return found
