"""Comparing assessments: progress of one enterprise, one against its peers, a programme's
roll-up over many. Pure: scored assessments in, tables out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from smkit.readiness.assessment import Assessment
from smkit.readiness.scoring import Score

MIN_PEERS = 3  # fewer peers in the sector and size group: compare with the whole set


@dataclass(frozen=True)
class Scored:
    """An assessment and its score."""

    assessment: Assessment
    score: Score


@dataclass(frozen=True)
class Change:
    """One dimension between two assessments."""

    dimension: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        """Bands gained (negative: lost)."""
        return self.after - self.before


@dataclass(frozen=True)
class Comparison:
    """Progress from ``before`` to ``after``."""

    before: Scored
    after: Scored
    changes: tuple[Change, ...]
    overall_delta: Fraction
    checklist_changes: tuple[tuple[str, str, str], ...]


def compare(before: Scored, after: Scored) -> Comparison:
    """Band changes per dimension, the overall change and every checklist state that moved."""
    changes = tuple(
        Change(d, before.score.dimensions[d].band, result.band)
        for d, result in after.score.dimensions.items()
    )
    old = {i: s for c in before.score.checklists for i, s in c.states.items()}
    new = {i: s for c in after.score.checklists for i, s in c.states.items()}
    moved = tuple((i, old.get(i, ""), s) for i, s in new.items() if old.get(i) != s)
    return Comparison(before, after, changes, after.score.overall - before.score.overall, moved)


@dataclass(frozen=True)
class Standing:
    """One dimension of an enterprise among its peers: percentile rank and the peers' median."""

    dimension: str
    band: int
    percentile: Fraction
    median: Fraction


@dataclass(frozen=True)
class Benchmark:
    """An enterprise against a peer group."""

    group: str
    peers: int
    standings: tuple[Standing, ...]


def benchmark(subject: Scored, others: Sequence[Scored]) -> Benchmark:
    """Percentile rank of each dimension's band within the same sector and size (or all)."""
    facility = subject.assessment.facility
    peers = [o for o in others if o.assessment.facility.name != facility.name]
    same = [p for p in peers if (p.assessment.facility.sector, p.assessment.facility.size)
            == (facility.sector, facility.size)]  # fmt: skip
    group = f"{facility.sector}, {facility.size}" if len(same) >= MIN_PEERS else "all"
    chosen = same if len(same) >= MIN_PEERS else peers
    standings = []
    for dimension, result in subject.score.dimensions.items():
        bands = sorted(p.score.dimensions[dimension].band for p in chosen)
        standings.append(Standing(dimension, result.band, _percentile(bands, result.band),
                                  _median(bands)))  # fmt: skip
    return Benchmark(group, len(chosen), tuple(standings))


def _percentile(bands: list[int], band: int) -> Fraction:
    """Share of peers below, plus half of those equal (the usual percentile rank)."""
    if not bands:
        return Fraction(1, 2)
    below = sum(1 for b in bands if b < band)
    equal = sum(1 for b in bands if b == band)
    return Fraction(2 * below + equal, 2 * len(bands))


def _median(bands: list[int]) -> Fraction:
    if not bands:
        return Fraction(0)
    middle = len(bands) // 2
    return (
        Fraction(bands[middle])
        if len(bands) % 2
        else Fraction(bands[middle - 1] + bands[middle], 2)
    )


@dataclass(frozen=True)
class Portfolio:
    """A programme's view of many enterprises."""

    enterprises: int
    bands: dict[str, dict[int, int]]
    adoption: dict[str, tuple[int, int]]
    by_sector: dict[str, int]
    overall: tuple[Fraction, ...]


def portfolio(items: Sequence[Scored]) -> Portfolio:
    """How many enterprises stand at each band per dimension; adoption of each checklist item
    (adopted, applicable); enterprises per sector; every overall index."""
    bands: dict[str, dict[int, int]] = {}
    adoption: dict[str, list[int]] = {}
    for item in items:
        for dimension, result in item.score.dimensions.items():
            counts = bands.setdefault(dimension, dict.fromkeys(range(6), 0))
            counts[result.band] += 1
        for checklist in item.score.checklists:
            for entry in checklist.applicable:
                tally = adoption.setdefault(entry, [0, 0])
                tally[0] += entry in checklist.adopted
                tally[1] += 1
    sectors = Counter(item.assessment.facility.sector for item in items)
    return Portfolio(
        enterprises=len(items),
        bands=bands,
        adoption={k: (v[0], v[1]) for k, v in adoption.items()},
        by_sector=dict(sorted(sectors.items())),
        overall=tuple(sorted(item.score.overall for item in items)),
    )
