"""A report computed by two processes equals the one computed by one, and a failure in the
helper process reaches the user as an error, not as missing machines."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

import pytest

from smkit.cli.oee import render_report
from smkit.cli.oee_output import joined, machine_pieces
from smkit.errors import SmkitError
from smkit.oee import parallel
from smkit.oee.rollup import Bucket, roll_up
from smkit.plant import load_plant
from tests.simulated_plant import stored_simulation

HOUR_NS = 3600 * 10**9


@pytest.fixture(scope="module")
def moulding(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, parallel.Window]:
    folder = tmp_path_factory.mktemp("parallel")
    plant_file, _, log = stored_simulation(folder, "injection-moulding", 7, 30,
                                           start=dt.datetime(2026, 11, 2, 6),
                                           process_period_s=600)  # fmt: skip
    return plant_file, (log.start, log.end, log.end + HOUR_NS, False)


@pytest.fixture
def helped(monkeypatch: pytest.MonkeyPatch) -> Synchronized[int]:
    """Two processes for any report, a machine per chunk, and the helper surely given one:
    counts the chunks the helper computed."""
    monkeypatch.setattr(parallel, "MIN_MACHINE_DAYS", 0)
    monkeypatch.setattr(parallel, "CHUNK", 1)
    reporter, computed = os.getpid(), parallel._computed
    count = multiprocessing.get_context("fork").Value("i", 0)

    async def counted(*args: object) -> object:
        if os.getpid() == reporter:
            await asyncio.sleep(0.05)  # leave the helper a chunk however busy the machine is
        else:
            with count.get_lock():
                count.value += 1
        return await computed(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_computed", counted)
    return count


def test_two_processes_give_what_one_gives_in_the_plants_order(
    moulding: tuple[Path, parallel.Window], helped: Synchronized[int]
) -> None:
    plant_file, window = moulding
    plant = load_plant(plant_file)
    alone = parallel.report_results(plant, window, processes=1)
    assert helped.value == 0
    shared = parallel.report_results(plant, window, processes=2)
    assert helped.value >= 1
    assert shared == alone
    machines = [m.id for _, m in plant.machines()]
    assert len(machines) >= 3
    assert [r.machine for r in shared] == sorted((r.machine for r in alone), key=machines.index)
    assert sum(r.elements.total for r in shared) > 1000


@pytest.mark.parametrize(("bucket", "fmt"), [("shift", "json"), ("day", "csv"), ("shift", "table")])
def test_rows_rendered_in_both_processes_read_as_the_roll_up_of_all(
    moulding: tuple[Path, parallel.Window], helped: Synchronized[int], bucket: Bucket, fmt: str
) -> None:
    plant_file, window = moulding
    plant = load_plant(plant_file)
    groups = roll_up(parallel.report_results(plant, window, processes=1), "machine", bucket)
    expected = render_report(groups, fmt)
    helped.value = 0
    parts = parallel.report_parts(plant, window, None, machine_pieces(bucket, fmt), processes=2)
    assert helped.value >= 1
    assert joined(parts, fmt) == expected
    assert len(groups) == len(parts) >= 8  # several machines, each in more than one bucket


def test_a_failure_in_the_helper_process_is_raised_not_dropped(
    moulding: tuple[Path, parallel.Window], monkeypatch: pytest.MonkeyPatch
) -> None:
    plant_file, window = moulding
    plant = load_plant(plant_file)
    reporter, share = os.getpid(), parallel._share

    async def failing_in_helper(*args: object) -> object:
        if os.getpid() != reporter:
            raise RuntimeError("disk gone")
        return await share(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "MIN_MACHINE_DAYS", 0)
    monkeypatch.setattr(parallel, "_share", failing_in_helper)
    with pytest.raises(SmkitError, match="disk gone"):
        parallel.report_results(plant, window, processes=2)
