"""Scoring rules by worked examples on the tiny framework (see tiny.py): gating, N/A and its
cap, weighted mean against minimum, live data that caps, grants or contradicts a rating."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from smkit.readiness.scoring import score
from tests.readiness.tiny import assessment, evidence, met, tiny


def test_a_band_counts_only_when_every_lower_band_is_met() -> None:
    loaded = tiny()
    # a: bands 1, 2 and 4 met, 3 not: band 2 (4 does not count over the hole at 3)
    ratings = {**met("a.1.1", "a.2.1", "a.4.1"), "a.3.1": {"rating": "not"}}
    result = score(loaded.framework, assessment(loaded, ratings)).dimensions["a"]
    assert result.band == 2
    assert result.blocking == ("a.3.1",)


def test_partly_is_not_met_unless_the_band_rule_allows_it() -> None:
    ratings = {**met("a.1.1"), "a.2.1": {"rating": "partly"}, **met("a.3.1")}
    strict = tiny()
    assert score(strict.framework, assessment(strict, ratings)).dimensions["a"].band == 1
    lenient = tiny(band_rule={"this_band": "partly", "lower_bands": "met"})
    # band 2 counts (partly is enough for the band itself); band 3 needs band 2 fully met
    assert score(lenient.framework, assessment(lenient, ratings)).dimensions["a"].band == 2


def test_optional_criteria_do_not_gate_but_show_as_progress() -> None:
    loaded = tiny()
    ratings = {**met("a.1.1", "a.2.1"), "a.2.2": {"rating": "not"}, "a.3.1": {"rating": "partly"}}
    result = score(loaded.framework, assessment(loaded, ratings)).dimensions["a"]
    assert result.band == 2
    assert result.progress == Fraction(1, 2)  # band 3's one criterion, partly
    unrated = score(loaded.framework, assessment(loaded, met("a.1.1"))).dimensions["a"]
    assert unrated.progress == 0  # band 2: a.2.1 and a.2.2 unrated


def test_not_applicable_excuses_a_criterion_within_the_cap_and_not_above_it() -> None:
    loaded = tiny()  # a has 6 criteria; the default cap is 20 %: one N/A allowed
    one = {**met("a.1.1", "a.3.1"), "a.2.1": {"rating": "na", "reason": "no planning here"}}
    result = score(loaded.framework, assessment(loaded, one)).dimensions["a"]
    assert (result.band, result.na_count, result.na_over_cap) == (3, 1, False)
    two = {**one, "a.4.1": {"rating": "na", "reason": "none"}}
    result = score(loaded.framework, assessment(loaded, two)).dimensions["a"]
    assert (result.band, result.na_count, result.na_over_cap) == (1, 2, True)
    assert [r.source for r in result.criteria if r.rating == "na"] == ["na_over_cap"] * 2


def test_pillars_and_blocks_are_weighted_means_and_minimums() -> None:
    loaded = tiny()
    ratings = {**met("a.1.1", "a.2.1", "a.3.1", "a.4.1"), **met("b.1.1"), **met("c.1.1", "c.2.1")}
    scored = score(loaded.framework, assessment(loaded, ratings))
    assert [scored.dimensions[d].band for d in "abc"] == [4, 1, 2]
    # p1: (1 x 4 + 3 x 1) / 4 = 7/4, minimum 1; p2: 2; block: (7/4 + 2) / 2 = 15/8, minimum 1
    assert (scored.pillars["p1"].mean, scored.pillars["p1"].minimum) == (Fraction(7, 4), 1)
    assert (scored.blocks["block"].mean, scored.blocks["block"].minimum) == (Fraction(15, 8), 1)
    assert scored.overall == Fraction(15, 8)
    assert scored.minimum == 1


def test_failing_live_data_caps_a_met_rating_and_says_so() -> None:
    loaded = tiny()
    audit = assessment(loaded, met("c.1.1", "c.2.1"))
    scored = score(loaded.framework, audit, evidence(machines_connected_share=0.3))
    assert scored.dimensions["c"].band == 1
    (conflict,) = scored.conflicts
    assert (conflict.criterion, conflict.kind, conflict.rating) == ("c.2.1", "contradicts", "met")
    assert conflict.check.rule == "machines_connected_share >= 0.5"
    assert score(loaded.framework, audit).dimensions["c"].band == 2  # without live data


def test_passing_live_data_grants_an_unrated_criterion_and_flags_a_not_met_one() -> None:
    loaded = tiny()
    live = evidence(machines_connected_share=0.9)
    unrated = score(loaded.framework, assessment(loaded, met("c.1.1")), live)
    assert unrated.dimensions["c"].band == 2
    assert unrated.dimensions["c"].criteria[1].source == "live"
    assert unrated.conflicts == ()
    said_not = assessment(loaded, {**met("c.1.1"), "c.2.1": {"rating": "not"}})
    denied = score(loaded.framework, said_not, live)
    assert denied.dimensions["c"].band == 1  # the assessor decides
    assert [c.kind for c in denied.conflicts] == ["supports"]


def test_stale_live_data_is_ignored() -> None:
    loaded = tiny()
    audit = assessment(loaded, met("c.1.1", "c.2.1"), date="2027-03-01")
    live = evidence(machines_connected_share=0.1)  # measured 2026-11-19: 102 days before
    scored = score(loaded.framework, audit, live)
    assert scored.dimensions["c"].band == 2
    assert scored.conflicts == ()
    assert scored.dimensions["c"].criteria[1].live is not None
    assert not scored.dimensions["c"].criteria[1].live.fresh
    assert audit.date == dt.date(2027, 3, 1)


def test_checklist_items_of_other_sectors_do_not_count() -> None:
    loaded = tiny()
    audit = assessment(loaded, {}, checklist={"tpm": "in_use", "haccp": "in_use"})
    (tools,) = score(loaded.framework, audit).checklists
    assert tools.applicable == ("tpm",)  # haccp is for the food sector; this is plastics
    assert tools.adopted == ("tpm",)
