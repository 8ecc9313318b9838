"""The file of Sparkplug births a collector keeps beside its outbox across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from smkit.connectors.mqtt.sparkplug_births import BirthsFile
from smkit.errors import SmkitError

BIRTHS = {
    "im-shop/presses": {
        "bd_seq": 3,
        "own": None,
        "devices": {"press-01": {"names": {"1": "melt_temp"}, "datatypes": {"melt_temp": 10}}},
    }
}


async def test_saved_births_are_read_back_whole(tmp_path: Path) -> None:
    births = BirthsFile(tmp_path / "outbox.broker.sparkplug.json")
    assert births.load() == {}, "no file: no births"
    await births.save(BIRTHS)
    assert BirthsFile(births.path).load() == BIRTHS
    assert not births.path.with_suffix(".tmp").exists()


@pytest.mark.parametrize("text", ["{half", '{"version": 99, "nodes": {}}', "[1]"])
async def test_an_unreadable_file_is_no_births(tmp_path: Path, text: str) -> None:
    path = tmp_path / "births.json"
    path.write_text(text)
    assert BirthsFile(path).load() == {}


async def test_a_file_that_cannot_be_written_is_a_storage_error(tmp_path: Path) -> None:
    births = BirthsFile(tmp_path / "gone" / "births.json")
    with pytest.raises(SmkitError, match="sparkplug births"):
        await births.save(BIRTHS)


async def test_death_marks_are_kept_beside_the_births_and_an_older_file_has_none(
    tmp_path: Path,
) -> None:
    marks = {"im-shop/presses": {"stale_since": [[None, 5], ["press-01", 5]],
                                 "held": [["press-01", "melt_temp", 4, 21.5]]}}  # fmt: skip
    births = BirthsFile(tmp_path / "births.json")
    await births.save(BIRTHS, marks)
    assert (births.load(), births.load_marks()) == (BIRTHS, marks)
    births.path.write_text('{"version": 1, "nodes": {}}')  # written before marks were kept
    assert births.load_marks() == {}
