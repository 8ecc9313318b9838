"""The file source in its other shapes: wide exports with a folder per machine, a folder being
written while it is watched, a file that cannot be read at all, and the plant.yaml mistakes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smkit.connectors.common.unreadable import UnreadableMessages
from smkit.connectors.contract import ConnectorContext
from smkit.connectors.file.cells import cell_parser
from smkit.connectors.file.connector import FileConnector, build
from smkit.connectors.file.times import time_parser
from smkit.core.sample import Quality, Sample
from smkit.core.timeunits import NS_PER_S, utc_ns
from smkit.errors import ConfigError
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import parse_plant
from smkit.plant.files import FileSource
from smkit.plant.model import Plant
from tests.cli.test_cli import smkit
from tests.plant.test_loader import MINIMAL

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PLANT = """\
site:
  id: s1
  timezone: Asia/Ho_Chi_Minh
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: press-1
              source: exports
              state_map: packml
              signals: &signals
                - {{name: state, role: state, address: "Trạng thái"}}
                - {{name: total, role: count_total}}
                - {{name: temp}}
                - {{name: reason, role: reason}}
            - id: press-2
              source: exports
              state_map: packml
              signals: *signals
sources:
  - {{kind: file, id: exports, path: exports, {source}}}
outbox: {{path: outbox.db}}
state_maps:
  packml: {{kind: value, values: {{6: running, 9: unplanned_down}}}}
"""


class Recorded:
    """A sink that keeps what it is given (the month test covers the real outbox)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    async def put(self, samples: Sequence[Sample]) -> None:
        self.samples += samples


def plant_of(folder: Path, source: str) -> Plant:
    text = PLANT.format(source=source)
    return parse_plant(text, str(folder / "plant.yaml"), environ={}, base_dir=folder)


async def imported(connector: FileConnector) -> None:
    """Wait until the connector finishes a look at its folder."""
    connector.imported.clear()
    await asyncio.wait_for(connector.imported.wait(), 30)


@contextlib.asynccontextmanager
async def importing(
    plant: Plant, folder: Path
) -> AsyncIterator[tuple[FileConnector, Recorded, UnreadableMessages]]:
    """The plant's file connector running (its first look done) until the block ends."""
    (source,) = plant.sources
    assert isinstance(source, FileSource)
    sink = Recorded()
    async with UnreadableMessages(folder / "dead.db") as unreadable:
        connector = build(source, ConnectorContext(plant, sink, unreadable))
        stop = asyncio.Event()
        run = asyncio.create_task(connector.run(stop))
        await asyncio.wait_for(connector.imported.wait(), 30)
        yield connector, sink, unreadable
        stop.set()
        await run


async def test_wide_exports_in_a_folder_per_machine(tmp_path: Path) -> None:
    plant = plant_of(tmp_path, 'pattern: "{machine}/*.csv", time_format: epoch_ms, watch: 0.05')
    for machine, state in (("press-1", 6), ("press-2", 9), ("press-9", 1)):
        (tmp_path / "exports" / machine).mkdir(parents=True)
        (tmp_path / "exports" / machine / "day.csv").write_text(
            "time,Trạng thái,total,temp,Unused\n"
            f"1767571200000,{state},10,21.5,x\n"
            f"1767571260500,,12,,y\n"
        )
    async with importing(plant, tmp_path) as (connector, sink, unreadable):
        await imported(connector)  # a second look leaves press-9's folder alone too
        assert await unreadable.count() == 0
    with sqlite3.connect(tmp_path / "outbox.exports.files.db") as db:
        recorded = {row[0] for row in db.execute("SELECT path FROM files")}
    assert recorded == {"press-1/day.csv", "press-2/day.csv"}, "imported once its machine is added"
    second = utc_ns(dt.datetime(2026, 1, 5, 0, 1, tzinfo=dt.UTC)) + NS_PER_S // 2
    first = second - 60 * NS_PER_S - NS_PER_S // 2
    assert sorted(sink.samples) == sorted([
        Sample("press-1", "state", first, 6), Sample("press-1", "total", first, 10),
        Sample("press-1", "temp", first, 21.5), Sample("press-1", "total", second, 12),
        Sample("press-2", "state", first, 9), Sample("press-2", "total", first, 10),
        Sample("press-2", "temp", first, 21.5), Sample("press-2", "total", second, 12),
    ])  # fmt: skip


async def test_a_watched_export_is_read_as_it_grows_and_again_when_replaced(
    tmp_path: Path,
) -> None:
    plant = plant_of(tmp_path, 'pattern: "*.csv", layout: long, watch: 0.05, '
                     "columns: {machine: m, tag: tag, value: v}")  # fmt: skip
    export = tmp_path / "exports" / "log.csv"
    export.parent.mkdir()
    export.write_text("time,m,tag,v\n2026-01-05T07:00:00,press-1,total,1\n2026-01-05T07:01:0")
    async with importing(plant, tmp_path) as (connector, sink, _):
        assert [s.value for s in sink.samples] == [1], "a line being written waits"
        with export.open("a") as file:
            file.write("0,press-1,total,2\n2026-01-05T07:02:00,press-1,reason,\n")
        await imported(connector)
        await imported(connector)
        assert [s.value for s in sink.samples] == [1, 2, ""]
        export.write_text("time,m,tag,v\n2026-01-05T08:00:00,press-2,temp,\n")
        await imported(connector)
        await imported(connector)
    hour = utc_ns(dt.datetime(2026, 1, 5, 8, tzinfo=ZONE))
    assert sink.samples[-1] == Sample("press-2", "temp", hour, None, Quality.BAD)
    assert connector.health.messages == 4


async def test_a_file_without_its_time_column_is_one_unreadable_entry_until_it_changes(
    tmp_path: Path,
) -> None:
    plant = plant_of(tmp_path, 'pattern: "*.csv", columns: {machine: Máy}, watch: 0.05')
    export = tmp_path / "exports" / "a.csv"
    export.parent.mkdir()
    export.write_text("Thời điểm;Máy;total\n05/01/2026 07:00;press-1;4\n")
    async with importing(plant, tmp_path) as (connector, sink, unreadable):
        await imported(connector)
        (entry,) = await unreadable.recent()
        assert entry.origin == "a.csv:1"
        assert "no column 'time' in the header (it has 'Thời điểm', 'Máy', 'total')" in entry.reason
        export.write_text("time;Máy;total\n05/01/2026 07:00;press-1;4\n")
        await imported(connector)
        await imported(connector)
    assert sink.samples == [
        Sample("press-1", "total", utc_ns(dt.datetime(2026, 1, 5, 7, tzinfo=ZONE)), 4)
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("layout: long", "sources[0]: layout long needs columns: {tag: ..., value: ...}"),
        ("decimal: ',', delimiter: ','", "decimal ',' needs another delimiter"),
        ('pattern: "../*.csv"', "sources[0].pattern: must be a pattern inside the folder"),
        ('pattern: "{line}/*.csv"', "the only placeholder allowed is {machine}"),
        ("encoding: klingon", "sources[0].encoding: unknown text encoding 'klingon'"),
        ("timezone: Asia/Ho_Chi_Min", "did you mean 'Asia/Ho_Chi_Minh'?"),
        ("watch: -1", "sources[0].watch: must be >= 0"),
        ("delimiter: ':'", "sources[0].delimiter"),
        ("", "sources[0]: 2 machines read from this file source: say which rows are whose"),
    ],
)
def test_file_source_mistakes_name_their_place(tmp_path: Path, source: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        plant_of(tmp_path, source)
    assert any(expected in line for line in caught.value.problems), caught.value.problems


def test_time_cells_in_every_format_are_exact() -> None:
    assert time_parser("epoch_s", ZONE)("1767571200.123456789") == 1767571200123456789
    assert time_parser("epoch_ns", ZONE)("1767571200123456789") == 1767571200123456789
    auto = time_parser("auto", ZONE)
    seven = utc_ns(dt.datetime(2026, 1, 5, 7, tzinfo=ZONE))
    assert auto("2026-01-05T07:00:00") == auto("05/01/2026 07:00") == seven
    assert auto("05-01-2026 07:00:00.250000") == seven + NS_PER_S // 4
    assert auto("2026-01-05T00:00:00Z") == seven
    assert time_parser("%m/%d/%Y %I:%M %p", ZONE)("01/05/2026 07:00 AM") == seven
    with pytest.raises(ValueError, match="neither ISO 8601 nor dd/mm/yyyy"):
        auto("yesterday")
    with pytest.raises(ValueError, match="is not a number"):
        time_parser("epoch_ms", ZONE)("2026-01-05")


def test_value_cells_follow_the_files_decimal_mark_and_the_signals_type() -> None:
    comma = cell_parser("float", ",")
    assert comma("1.234,5") == 1234.5
    assert comma(" 21,75 ") == 21.75
    with pytest.raises(ValueError, match="decimal mark is ','"):
        comma("21.75")
    assert cell_parser("int", ",")("12,0") == 12
    with pytest.raises(ValueError, match="not a whole number"):
        cell_parser("int", ".")("12.5")
    boolean = cell_parser("bool", ".")
    assert [boolean(word) for word in ("TRUE", "off", "1", "Yes")] == [True, False, True, True]
    with pytest.raises(ValueError, match="is not a boolean"):
        boolean("maybe")
    assert cell_parser("str", ".")(" E-101 ") == "E-101"


def test_collect_until_imported_stores_an_export_and_stops(tmp_path: Path) -> None:
    (tmp_path / "plant.yaml").write_text(
        PLANT.format(source='pattern: "*.csv", columns: {machine: Máy}, decimal: ","')
        + "historian: {kind: sqlite, path: historian.db}\n"
    )
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "a.csv").write_text(
        "time;Máy;total;temp\n05/01/2026 07:00;press-1;4;21,5\n05/01/2026 07:01;press-2;5;\n"
    )
    done = smkit("collect", "--plant", str(tmp_path / "plant.yaml"), "--until-imported")
    assert done.returncode == 0, done.stderr
    assert "every file source is imported" in done.stdout

    async def stored() -> list[Sample]:
        async with SqliteHistorian(tmp_path / "historian.db") as historian:
            return await historian.read_series(["press-1", "press-2"], 0, 2**62)

    seven = utc_ns(dt.datetime(2026, 1, 5, 7, tzinfo=ZONE))
    assert sorted(asyncio.run(stored())) == [
        Sample("press-1", "temp", seven, 21.5), Sample("press-1", "total", seven, 4),
        Sample("press-2", "total", seven + 60 * NS_PER_S, 5),
    ]  # fmt: skip


def test_until_imported_without_a_file_source_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "plant.yaml").write_text(MINIMAL)
    done = smkit("collect", "--plant", str(tmp_path / "plant.yaml"), "--until-imported")
    assert done.returncode == 2
    assert "this plant has no file source" in done.stderr
