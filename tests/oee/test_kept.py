"""Closed periods served from what was kept (memory, then period records) equal a computation
from the samples, before and after late data, a restart and a changed plant.yaml; over SQLite
and a real influxd."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smkit.core.columns import Column
from smkit.core.sample import Sample
from smkit.core.timeunits import HOUR_NS, MINUTE_NS
from smkit.historian import Historian
from smkit.localservers import LocalInflux
from smkit.oee.elements import COUNT_FIELDS, IDEAL_FIELDS, TIME_FIELDS, Elements
from smkit.oee.kept import KeptPeriods
from smkit.oee.period_records import PERIOD_MEASUREMENT, decode, encode, from_record, plant_digest
from smkit.oee.periods import shift_periods
from smkit.oee.runner import period_results, run_once
from smkit.plant import load_plant
from smkit.plant.model import Plant
from tests.conftest import BACKENDS, new_historian
from tests.simulated_plant import stored_simulation

HOURS = 20


class CountingReads:
    """A real historian that notes the window of every samples read (to show what was not
    read again)."""

    def __init__(self, historian: Historian) -> None:
        self.inner = historian
        self.reads: list[tuple[str, int, int]] = []

    async def read_columns(self, machine: str, start_ns: int, end_ns: int,
                           signals: Sequence[str]) -> dict[str, Column]:  # fmt: skip
        self.reads.append((machine, start_ns, end_ns))
        return await self.inner.read_columns(machine, start_ns, end_ns, signals)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclasses.dataclass
class Day:
    plant: Plant
    historian: CountingReads
    start: int
    now: int


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sample], int]:
    folder = tmp_path_factory.mktemp("kept")
    plant_path, samples, log = stored_simulation(folder, "injection-moulding", 5, HOURS,
                                                 oee={"small_stop_threshold": "2m"})  # fmt: skip
    return plant_path, samples, log.start


@pytest.fixture(params=BACKENDS)
async def day(
    request: pytest.FixtureRequest,
    simulated: tuple[Path, list[Sample], int],
    influx_server: LocalInflux,
    tmp_path: Path,
) -> AsyncIterator[Day]:
    plant_path, samples, start = simulated
    plant = load_plant(plant_path)
    historian = new_historian(request.param, tmp_path, influx_server.url, plant.places())
    await historian.write_samples(samples)
    yield Day(plant, CountingReads(historian), start, start + HOURS * HOUR_NS)
    await historian.close()


async def fresh(day: Day, start: int, end: int, plant: Plant | None = None) -> list[Any]:
    return await period_results(plant or day.plant, day.historian.inner, start, end,
                                horizon_ns=day.now)  # fmt: skip


def read_from(day: Day, since: int) -> int:
    """The earliest instant read by the reads after the ``since``-th."""
    return min(start for _, start, _ in day.historian.reads[since:])


async def test_kept_periods_equal_a_computation_cold_warm_and_after_a_restart(day: Day) -> None:
    window = (day.start + 7 * MINUTE_NS, day.now)  # the first shift cut by the window
    kept = KeptPeriods(day.plant, day.historian)  # type: ignore[arg-type]
    assert await kept.results(*window, now_ns=day.now) == await fresh(day, *window)
    open_start = day.start + 16 * HOUR_NS  # the shift still open at ``now`` (22:00)
    before = len(day.historian.reads)
    assert await kept.results(*window, now_ns=day.now) == await fresh(day, *window)
    assert read_from(day, before) >= open_start - 2 * MINUTE_NS - 1  # only the open shift

    restarted = KeptPeriods(day.plant, day.historian)  # type: ignore[arg-type]
    before = len(day.historian.reads)
    assert await restarted.results(*window, now_ns=day.now) == await fresh(day, *window)
    # the cut first shift was computed again; the whole ones came from their records
    assert {start for _, start, _ in day.historian.reads[before:]} <= {
        window[0] - 2 * MINUTE_NS - 1,
        open_start - 2 * MINUTE_NS - 1,
    }


async def test_a_late_stop_changes_the_closed_shift_it_falls_in(day: Day) -> None:
    window = (day.start, day.now)
    kept = KeptPeriods(day.plant, day.historian)  # type: ignore[arg-type]
    first = await kept.results(*window, now_ns=day.now)
    at = day.start + 3 * HOUR_NS  # inside the first shift, long closed
    late = [Sample("press-01", "mode", at, "ALARM"), Sample("press-01", "alarm", at, "A-11"),
            Sample("press-01", "mode", at + 40 * MINUTE_NS, "AUTOMATIC")]  # fmt: skip
    await day.historian.write_samples(late)
    again = await kept.results(*window, now_ns=day.now)
    assert again == await fresh(day, *window)
    changed = [(a.machine, a.key) for a, b in zip(first, again, strict=True) if a != b]
    assert ("press-01", ("shift", "2026-11-23", "1")) in changed
    assert all(machine == "press-01" for machine, _ in changed)


async def test_the_collector_writes_records_of_whole_periods_only(day: Day) -> None:
    window = (day.now - 14 * HOUR_NS - 5 * MINUTE_NS, day.now)  # cuts the first shift
    await run_once(day.plant, day.historian.inner, *window, horizon_ns=day.now)
    records = await day.historian.inner.read_records(PERIOD_MEASUREMENT, day.start, day.now)
    config = plant_digest(day.plant)
    kept = [k for r in records if (k := from_record(r, config)) is not None]
    assert len(kept) == len(records) > 0
    computed = {(r.machine, r.start, r.end): r.elements for r in await fresh(day, *window)}
    for period in kept:
        whole = shift_periods(day.plant, period.machine, day.start - 6 * HOUR_NS, day.now)
        assert (period.start, period.end) in {(p.start, p.end) for p in whole}
        assert period.start > window[0] and period.end + 2 * MINUTE_NS < day.now
        assert computed[(period.machine, period.start, period.end)] == period.elements


async def test_records_of_another_plant_yaml_are_computed_again(day: Day) -> None:
    window = (day.start, day.now)
    await run_once(day.plant, day.historian.inner, *window, horizon_ns=day.now)
    settings = day.plant.oee.model_copy(update={"small_stop_threshold": 1.0})
    changed = day.plant.model_copy(update={"oee": settings})
    kept = KeptPeriods(changed, day.historian)  # type: ignore[arg-type]
    served = await kept.results(*window, now_ns=day.now)
    assert served == await fresh(day, *window, plant=changed)
    assert served != await fresh(day, *window)


exact = st.one_of(st.integers(-(2**62), 2**62),
                  st.fractions().filter(lambda f: f.denominator > 1))  # fmt: skip


@given(
    times=st.lists(st.integers(0, 2**62), min_size=len(TIME_FIELDS), max_size=len(TIME_FIELDS)),
    ideals=st.lists(exact, min_size=len(IDEAL_FIELDS), max_size=len(IDEAL_FIELDS)),
    counts=st.lists(st.integers(0, 2**40), min_size=len(COUNT_FIELDS), max_size=len(COUNT_FIELDS)),
    reasons=st.dictionaries(st.text(min_size=1), st.integers(0, 2**60)),
    since=st.none() | st.integers(0, 2**62),
)
def test_elements_survive_their_record_exactly(
    times: list[int], ideals: list[int | Fraction], counts: list[int],
    reasons: dict[str, int], since: int | None,
) -> None:  # fmt: skip
    elements = Elements(**dict(zip(TIME_FIELDS, times, strict=True)),
                        **dict(zip(IDEAL_FIELDS, ideals, strict=True)),
                        **dict(zip(COUNT_FIELDS, counts, strict=True)),
                        no_data_since_ns=since, downtime_by_reason=reasons,
                        unknown_states={"7": 3})  # fmt: skip
    back = decode(encode(elements))
    assert back == elements
    assert [type(getattr(back, f)) for f in IDEAL_FIELDS] == [type(i) for i in ideals]


def test_the_digest_follows_what_a_periods_oee_depends_on_only() -> None:
    plant = load_plant(Path(__file__).parents[2] / "examples" / "plant.yaml")
    digest = plant_digest(plant)
    api = plant.api.model_copy(update={"status_refresh": 3.0, "anonymous_read": True})
    oee = plant.oee.model_copy(update={"reason_required_after": 60.0, "every": 60.0})
    shown_differently = plant.model_copy(update={"api": api, "oee": oee})
    assert plant_digest(shown_differently) == digest
    other_rule = plant.model_copy(update={"oee": plant.oee.model_copy(
        update={"small_stop_threshold": 300.0})})  # fmt: skip
    assert plant_digest(other_rule) != digest
    other_reasons = plant.model_copy(update={"reasons": plant.reasons[1:]})
    assert plant_digest(other_reasons) != digest
