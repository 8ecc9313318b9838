"""The roadmap and the comparisons, by worked examples on the tiny framework (tiny.py)."""

from __future__ import annotations

from fractions import Fraction

from smkit.readiness.portfolio import Scored, benchmark, compare, portfolio
from smkit.readiness.roadmap import roadmap
from smkit.readiness.scoring import score
from tests.readiness.tiny import assessment, met, tiny


def test_a_prerequisite_comes_first_as_an_enabling_step() -> None:
    loaded = tiny()
    # b stands at 2 and wants 4; b's band 3 requires a at 2, and a stands at 0 (no target)
    audit = assessment(loaded, met("b.1.1", "b.2.1"), targets={"b": 4})
    scored = score(loaded.framework, audit)
    steps = roadmap(loaded.framework, audit, scored)
    assert [(s.dimension, s.from_band, s.to_band) for s in steps] == [
        ("a", 0, 1), ("a", 1, 2), ("b", 2, 3), ("b", 3, 4)
    ]  # fmt: skip
    assert steps[1].enables == ("b",)
    assert steps[2].criteria == ("b.3.1",)
    assert [a.en for a in steps[2].actions] == ["reach b 3"]
    assert [s.phase for s in steps] == [1, 1, 1, 2]


def test_kpi_relevance_decides_between_equal_gaps() -> None:
    loaded = tiny()  # only b is relevant (3) to asset_efficiency
    targets = {"a": 1, "b": 1, "c": 1}
    priorities = {"horizon": "tactical", "kpis": ["asset_efficiency"]}
    wanting = assessment(loaded, {}, targets=targets, priorities=priorities)
    steps = roadmap(loaded.framework, wanting, score(loaded.framework, wanting))
    assert [s.dimension for s in steps] == ["b", "a", "c"]
    # tactical: 0.3 x kpi (3 / 3) + 0.4 x cost (0) + 0.3 x gap (1 / 5)
    assert steps[0].priority == Fraction(3, 10) + Fraction(3, 10) * Fraction(1, 5)
    indifferent = assessment(loaded, {}, targets=targets)
    plain = roadmap(loaded.framework, indifferent, score(loaded.framework, indifferent))
    assert [s.dimension for s in plain] == ["a", "b", "c"]  # ties: framework order


def test_no_target_no_step() -> None:
    loaded = tiny()
    audit = assessment(loaded, met("a.1.1"), targets={"a": 1})
    assert roadmap(loaded.framework, audit, score(loaded.framework, audit)) == []


def scored(loaded: object, name: str, ratings: dict[str, object], **extra: object) -> Scored:
    audit = assessment(loaded, ratings, **extra)  # type: ignore[arg-type]
    audit = audit.model_copy(update={"facility": audit.facility.model_copy(update={"name": name})})
    return Scored(audit, score(loaded.framework, audit))  # type: ignore[attr-defined]


def test_compare_shows_bands_gained_and_checklist_moves() -> None:
    loaded = tiny()
    before = scored(loaded, "F", met("a.1.1"), checklist={"tpm": "absent"})
    after = scored(loaded, "F", met("a.1.1", "a.2.1", "c.1.1"), checklist={"tpm": "in_use"})
    result = compare(before, after)
    assert [(c.dimension, c.delta) for c in result.changes] == [("a", 1), ("b", 0), ("c", 1)]
    # overall: before (1 x 1 + 0) / 4 / 2 = 1/8; after ((1 x 2) / 4 + 1) / 2 = 3/4
    assert result.overall_delta == Fraction(3, 4) - Fraction(1, 8)
    assert result.checklist_changes == (("tpm", "absent", "in_use"),)


def test_benchmark_ranks_against_peers_of_the_same_sector_and_size() -> None:
    loaded = tiny()
    peers = [scored(loaded, f"P{n}", met(*(f"a.{b}.1" for b in range(1, n + 1))))
             for n in range(4)]  # a: 0, 1, 2, 3  # fmt: skip
    subject = scored(loaded, "S", met("a.1.1", "a.2.1"))
    result = benchmark(subject, peers)
    assert (result.group, result.peers) == ("plastics, small", 4)
    a = next(s for s in result.standings if s.dimension == "a")
    assert a.percentile == Fraction(2 * 2 + 1, 8)  # two below, one equal, of four
    assert a.median == Fraction(3, 2)


def test_portfolio_counts_enterprises_per_band_and_adoption() -> None:
    loaded = tiny()
    items = [scored(loaded, "X", met("a.1.1"), checklist={"tpm": "in_use"}),
             scored(loaded, "Y", {}, checklist={"tpm": "absent"})]  # fmt: skip
    result = portfolio(items)
    assert result.bands["a"] == {0: 1, 1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    assert result.adoption == {"tpm": (1, 2)}  # haccp applies to neither (food only)
