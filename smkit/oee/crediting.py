"""Units made, credited to the periods and the products they were made in.

A unit counts at its counter sample's time: for a period when that time is in the ``(start,
end]`` of one of its planned intervals, with the ideal time of the product in production then.
The planned bounds and the product changes cut time into segments that each lie in one planned
interval (or none) and make one product; the units of a segment are the difference of the
counter's running total at its two ends, so only the segments (not the samples) are walked.

Ideal times are summed as integer numerators over one common denominator (the least common
multiple of the units per cycle) and become exact fractions once per period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np
import numpy.typing as npt

from smkit.oee.elements import Exact
from smkit.oee.increments import Increments
from smkit.oee.model import ProductChanges, ProductSpec
from smkit.oee.planned import PlannedIndex

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
_INT64_SAFE = 2**62


@dataclass(frozen=True)
class Segments:
    """Segment i is ``(points[i], points[i+1]]``, in planned time of ``period[i]`` (-1: none)
    and making product ``product[i]`` (-1: unknown)."""

    points: Int64s
    period: Int64s
    product: Int32s


def segments(planned: PlannedIndex, products: ProductChanges) -> Segments:
    """Time cut at every planned bound and product change.

    A product made from time c on owns the samples at c and later, so its segment begins
    after c - 1 (times are integers).
    """
    points = np.concatenate((planned.bounds, products.ts - 1))
    points.sort()  # then unique: np.union1d hashes, 15 times slower on these sorted inputs
    repeated = np.zeros(len(points), np.bool_)
    repeated[1:] = points[1:] == points[:-1]
    points = points[~repeated]
    ends = points[1:]
    return Segments(points, planned.at(ends, closed_end=True), products_at(products, ends))


def products_at(products: ProductChanges, ts: Int64s) -> Int32s:
    """The product in production at each time (-1: none known)."""
    if len(products.ts) == 0:
        return np.full(len(ts), -1, dtype=np.int32)
    j = np.searchsorted(products.ts, ts, side="right") - 1
    return np.where(j >= 0, products.index[np.maximum(j, 0)], -1).astype(np.int32)


class Pricing:
    """Ideal time per unit of each product, as integer numerators over one denominator."""

    def __init__(
        self,
        names: tuple[str, ...],
        catalog: Mapping[str, ProductSpec],
        default_product: str | None,
    ) -> None:
        if default_product is None and len(catalog) == 1:
            default_product = next(iter(catalog))
        specs = [catalog.get(name) for name in names]
        specs.append(catalog.get(default_product) if default_product is not None else None)
        self.denominator = lcm(*(spec.units for spec in specs if spec is not None))
        # index -1 (no product known) takes the last entry: the default product; -1 is no price
        numerators = [
            -1 if spec is None else spec.cycle_ns * (self.denominator // spec.units)
            for spec in specs
        ]
        self.highest = max(numerators)
        self.prices = np.array(numerators, np.int64 if self.fits(1) else object)

    def fits(self, units: int) -> bool:
        """Whether the ideal time of ``units`` units can be summed in int64 without overflow."""
        return units * self.highest < _INT64_SAFE

    def exact(self, numerators: npt.NDArray[Any]) -> list[Exact]:
        """Ideal times summed as numerators: whole nanoseconds as ints, the rest as Fractions
        (making a Fraction costs a microsecond; a year of shifts has thousands of sums)."""
        values: list[Exact] = (numerators // self.denominator).tolist()
        if self.denominator == 1:
            return values
        for i in np.flatnonzero(numerators % self.denominator).tolist():
            values[i] = Fraction(int(numerators[i]), self.denominator)
        return values


@dataclass
class Tally:
    """Per period: units in planned time, their ideal time (numerators of ``Pricing``; Python
    integers where int64 could overflow), and the units made while no ideal time was known."""

    count: Int64s
    ideal: npt.NDArray[Any]
    unpriced: Int64s

    @classmethod
    def empty(cls, periods: int) -> Tally:
        """Nothing credited."""
        return cls(*(np.zeros(periods, np.int64) for _ in range(3)))


def tally(counts: Increments, cut: Segments, pricing: Pricing, periods: int) -> Tally:
    """Units of ``counts`` per period, and what they were worth in ideal time.

    Segments are in time order and periods disjoint, so each period's segments are
    consecutive and one ``reduceat`` per column sums them.
    """
    out = Tally.empty(periods)
    if len(counts.ts) == 0 or len(cut.points) < 2:
        return out
    made = counts.within(cut.points)
    keep = (cut.period >= 0) & (made != 0)
    period, units = cut.period[keep], made[keep]
    if len(period) == 0:
        return out
    price = pricing.prices[cut.product[keep]]
    priced = price >= 0
    worth = np.where(priced, price, 0)
    if not pricing.fits(int(np.abs(units).sum())):
        units, out.ideal = units.astype(object), out.ideal.astype(object)
    first = np.flatnonzero(np.diff(period, prepend=-1))
    owners = period[first]
    out.count[owners] = np.add.reduceat(units, first)
    out.unpriced[owners] = np.add.reduceat(np.where(priced, 0, units), first)
    out.ideal[owners] = np.add.reduceat(units * worth, first)
    return out


def split(counts: Increments, chosen: npt.NDArray[np.bool_]) -> tuple[Increments, Increments]:
    """The increments ``chosen`` selects, and the others."""
    units = counts.units
    return (
        Increments.of(counts.ts[chosen], units[chosen]),
        Increments.of(counts.ts[~chosen], units[~chosen]),
    )
