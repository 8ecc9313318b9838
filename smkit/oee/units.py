"""Units made, credited to the periods and the products they were made in.

A unit counts at its counter sample's time: for a period when that time is in the ``(start,
end]`` of one of its planned intervals, with the ideal time of the product in production then.
The planned bounds and the product changes cut time into segments that each lie in one planned
interval (or none) and make one product; the units of a segment are summed in one pass over
the increments, and only the segments (not the samples) are searched for and walked in Python.

Ideal times are summed as integer numerators over one common denominator (the least common
multiple of the units per cycle) and become exact fractions once per period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from smkit.oee.counters import Increments
from smkit.oee.planned import PlannedIndex

if TYPE_CHECKING:
    from smkit.oee.engine import ProductChanges, ProductSpec

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
_ZERO = Fraction(0)


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
    points = np.union1d(planned.bounds, products.ts - 1)
    ends = points[1:]
    return Segments(points, planned.at(ends, closed_end=True), products_at(products, ends))


def products_at(products: ProductChanges, ts: Int64s) -> Int32s:
    """The product in production at each time (-1: none known)."""
    if len(products.ts) == 0:
        return np.full(len(ts), -1, dtype=np.int32)
    j = np.searchsorted(products.ts, ts, side="right") - 1
    return np.where(j >= 0, products.index[np.maximum(j, 0)], -1).astype(np.int32)


class Running:
    """A counter's increments, summed between any instants."""

    def __init__(self, counts: Increments) -> None:
        self.ts, self.units = counts.ts, counts.units

    def within(self, points: Int64s) -> Int64s:
        """Units credited in each ``(points[i], points[i+1]]`` (``points`` sorted)."""
        index = np.searchsorted(self.ts, points, side="right")
        sums = np.zeros(len(index), dtype=np.int64)
        # reduceat sums from each index to the next, the last one to the end; it takes no
        # index past the end, and gives the single element, not zero, for an empty range
        usable = int(np.searchsorted(index, len(self.units)))
        if usable:
            sums[:usable] = np.add.reduceat(self.units, index[:usable])
        return np.where(index[1:] > index[:-1], sums[:-1], 0)


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
        # index -1 (no product known) takes the last entry: the default product
        self.numerator = [
            None if spec is None else spec.cycle_ns * (self.denominator // spec.units)
            for spec in specs
        ]

    def fraction(self, numerator: int) -> Fraction:
        """An ideal time summed as a numerator, exactly."""
        return Fraction(numerator, self.denominator) if numerator else _ZERO


@dataclass
class Tally:
    """Per period: units in planned time, their ideal time (a numerator of ``Pricing``), and
    the units made while no ideal cycle time was known."""

    count: list[int]
    ideal: list[int]
    unpriced: list[int]

    @classmethod
    def empty(cls, periods: int) -> Tally:
        """Nothing credited."""
        return cls([0] * periods, [0] * periods, [0] * periods)


def tally(counts: Running, cut: Segments, pricing: Pricing, periods: int) -> Tally:
    """Units of ``counts`` per period, and what they were worth in ideal time."""
    out = Tally.empty(periods)
    if len(counts.ts) == 0 or len(cut.points) < 2:
        return out
    made = counts.within(cut.points)
    keep = (cut.period >= 0) & (made != 0)
    for period, product, units in zip(
        cut.period[keep].tolist(), cut.product[keep].tolist(), made[keep].tolist(), strict=True
    ):
        out.count[period] += units
        price = pricing.numerator[product]
        if price is None:
            out.unpriced[period] += units
        else:
            out.ideal[period] += units * price
    return out


def split(counts: Increments, chosen: npt.NDArray[np.bool_]) -> tuple[Increments, Increments]:
    """The increments ``chosen`` selects, and the others."""
    return (
        Increments(counts.ts[chosen], counts.units[chosen]),
        Increments(counts.ts[~chosen], counts.units[~chosen]),
    )
