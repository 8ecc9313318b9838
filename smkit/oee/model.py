"""What the engine computes over: a machine's data, the periods to report on, the rules.

These are the engine's input types (values, no behaviour beyond building them), kept apart from
the computation so that every step of it (``unit_counts``, ``crediting``, ``engine``) can use
them without importing another step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from smkit.oee.increments import Increments
from smkit.oee.timeline import StateChanges
from smkit.plant.machine import Reason
from smkit.plant.schedule import Interval

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Adjustments:
    """Late quality findings: at ``ts`` (when the units were made), ``units`` found to be scrap,
    or to need rework where ``rework`` is set; findings at ``invalid_ts`` were left out (not a
    whole number of units above zero) and are reported as counter anomalies."""

    ts: Int64s
    units: Int64s
    rework: Bools
    invalid_ts: Int64s = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def none(cls) -> Adjustments:
        """No findings."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.bool_))


@dataclass(frozen=True)
class Period:
    """A window of time to report on, and the planned production intervals inside it."""

    key: tuple[str, ...]
    start: int
    end: int
    planned: tuple[Interval, ...]

    def __post_init__(self) -> None:
        edge = self.start
        for a, b in self.planned:
            if not edge <= a <= b <= self.end:
                raise ValueError(f"period {self.key}: planned intervals must be sorted, "
                                 f"disjoint and inside [{self.start}, {self.end}]")  # fmt: skip
            edge = b


@dataclass(frozen=True)
class ProductSpec:
    """Ideal time of one cycle (ns) and the units one cycle makes."""

    cycle_ns: int
    units: int = 1

    @property
    def per_unit_ns(self) -> Fraction:
        """Ideal time of one unit, exactly."""
        return Fraction(self.cycle_ns, self.units)


@dataclass(frozen=True)
class ProductChanges:
    """From each time on, the machine makes ``names[index]`` (-1: unknown)."""

    ts: Int64s
    index: Int32s
    names: tuple[str, ...]

    @classmethod
    def of(cls, changes: Sequence[tuple[int, str | None]]) -> ProductChanges:
        """From ``(ts, product)`` pairs in time order (None: no product known)."""
        names = tuple(sorted({p for _, p in changes if p is not None}))
        number = {name: i for i, name in enumerate(names)}
        return cls(
            np.array([ts for ts, _ in changes], dtype=np.int64),
            np.array([-1 if p is None else number[p] for _, p in changes], dtype=np.int32),
            names,
        )


@dataclass(frozen=True)
class Unlisted:
    """Raw state values the state map does not list, at the times they were sent."""

    ts: Int64s
    values: tuple[str, ...]

    @classmethod
    def none(cls) -> Unlisted:
        """No such value."""
        return cls(np.zeros(0, np.int64), ())

    @classmethod
    def of(cls, sent: Sequence[tuple[int, str]]) -> Unlisted:
        """From ``(ts, value)`` pairs in any order."""
        ordered = sorted(sent)
        return cls(np.array([ts for ts, _ in ordered], dtype=np.int64),
                   tuple(value for _, value in ordered))  # fmt: skip


@dataclass(frozen=True)
class MachineData:
    """What the engine needs of one machine; counts are increments (see ``counters``)."""

    machine: str
    states: StateChanges
    total: Increments | None = None
    good: Increments | None = None
    rejects: Increments | None = None
    rework: Increments | None = None
    adjustments: Adjustments = field(default_factory=Adjustments.none)
    products: ProductChanges = ProductChanges(np.zeros(0, np.int64), np.zeros(0, np.int32), ())
    catalog: Mapping[str, ProductSpec] = field(default_factory=dict)
    default_product: str | None = None
    unknown_states: Unlisted = field(default_factory=Unlisted.none)
    sample_times: tuple[Int64s, ...] | None = None
    """The time of every sample read, a sorted array per signal (None: not known, no
    ``no_data`` flag)."""


@dataclass(frozen=True)
class Settings:
    """Rules of the time model."""

    reasons: Mapping[str, Reason]
    small_stop_ns: int = 120 * 10**9
    startup_ns: int = 0
    max_hold_ns: int | None = None
