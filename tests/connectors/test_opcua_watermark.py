"""The OPC UA watermark: the newest good value stored, kept in a file across restarts."""

from __future__ import annotations

from pathlib import Path

from smkit.connectors.opcua.backfill import Watermark, since


def test_the_mark_survives_a_restart_and_never_moves_back(tmp_path: Path) -> None:
    path = tmp_path / "outbox.cell.watermark.json"
    mark = Watermark(path)
    assert mark.newest_ns is None and not path.exists(), "never collected: nothing to read back"
    mark.stored(2_000)
    mark.stored(1_000)
    mark.flush()
    assert Watermark(path).newest_ns == 2_000
    assert since(2 * 10**9, 1.5) == 5 * 10**8


def test_an_unreadable_mark_is_no_mark(tmp_path: Path) -> None:
    path = tmp_path / "mark.json"
    path.write_text("{half")
    assert Watermark(path).newest_ns is None


def test_an_unwritable_mark_waits_and_is_written_later(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    mark = Watermark(folder / "mark.json")
    mark.stored(5)
    mark.flush()  # the folder does not exist: not written, no error
    folder.mkdir()
    mark.flush()
    assert Watermark(folder / "mark.json").newest_ns == 5


def test_a_held_mark_stays_where_the_gap_began_until_the_read_back_is_stored(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mark.json"
    mark = Watermark(path)
    mark.stored(1_000)
    mark.flush()
    mark.hold()  # a new session: its live values must not carry the mark past the gap
    mark.stored(9_000)
    mark.flush()
    assert mark.newest_ns == 1_000 and Watermark(path).newest_ns == 1_000
    mark.hold()  # that session was lost before its read-back was stored: the next one holds on
    mark.stored(12_000)
    mark.release()
    assert mark.newest_ns == 12_000 and Watermark(path).newest_ns == 12_000
    mark.stored(13_000)
    assert mark.newest_ns == 13_000, "released: stored values move it again"


def test_where_a_first_read_back_begins_is_written_at_once_and_moves_no_mark(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mark.json"
    mark = Watermark(path)
    mark.hold()  # a first session: the gap is held while it reads back
    mark.begin(4_000)
    assert Watermark(path).newest_ns == 4_000, "a collector killed now reads back from here"
    mark.stored(9_000)
    mark.begin(5_000)
    assert mark.newest_ns == 4_000, "only a collector that never stored a value begins"
    mark.release()
    assert Watermark(path).newest_ns == 9_000
