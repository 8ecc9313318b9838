"""A state derived from several boolean flags (a tower light) equals the plain per-event rule:
at each change of any flag, unknown while any flag seen so far is bad, else the first rule whose
flag is set, else the map's default."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.core.columns import columns_of
from smkit.core.sample import Quality, Sample
from smkit.oee.inputs import _flag_states
from smkit.plant.machine import FlagsStateMap, StateCategory

LIGHT = FlagsStateMap.model_validate({"kind": "flags", "default": "idle", "rules": [
    {"signal": "red", "category": "unplanned_down"}, {"signal": "yellow", "category": "setup"},
    {"signal": "green", "category": "running"}]})  # fmt: skip

events = st.lists(
    st.tuples(st.integers(0, 50), st.sampled_from(["red", "yellow", "green"]),
              st.sampled_from([True, False, None])),
    max_size=40,
)  # fmt: skip


def plain(samples: list[Sample]) -> dict[int, StateCategory]:
    """The rule, event by event; the state at each time is the one after its last event."""
    order = {rule.signal: number for number, rule in enumerate(LIGHT.rules)}
    current: dict[int, Sample] = {}
    out: dict[int, StateCategory] = {}
    for sample in sorted(samples, key=lambda s: (s.ts, order[s.signal])):
        current[order[sample.signal]] = sample
        if any(s.quality is Quality.BAD for s in current.values()):
            out[sample.ts] = StateCategory.UNKNOWN
            continue
        on = [i for i, s in sorted(current.items()) if s.value is True]
        out[sample.ts] = LIGHT.rules[on[0]].category if on else LIGHT.default
    return out


@settings(max_examples=300, deadline=None)
@given(events)
def test_the_state_of_a_tower_light_follows_the_rule_at_every_change(
    raw: list[tuple[int, str, bool | None]],
) -> None:
    unique = {(ts, signal): value for ts, signal, value in raw}
    samples = [Sample("m1", signal, ts, value, Quality.GOOD if value is not None else Quality.BAD)
               for (ts, signal), value in unique.items()]  # fmt: skip
    assert dict(_flag_states(LIGHT, columns_of(samples))) == plain(samples)
