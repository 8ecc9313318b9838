"""The smkit command as a user runs it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from smkit import __version__
from smkit.cli.app import app
from smkit.core import Sample
from smkit.historian import SqliteHistorian
from smkit.historian.outbox import Outbox
from smkit.localservers import LocalInflux, free_port
from tests.plant.test_loader import EXAMPLE, MINIMAL

T0 = 1_764_000_000 * 1_000_000_000  # 2025-11-24 16:00:00 UTC = 23:00 in Ho Chi Minh City


def smkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def plant_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "plant.yaml"
    path.write_text(MINIMAL + extra)
    return path


def all_commands(group: TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, TyperGroup):
            found += all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help() -> None:
    commands = all_commands(typer.main.get_command(app))  # type: ignore[arg-type]
    assert {("validate",), ("version",), ("historian", "ping"), ("outbox", "status")} <= set(
        commands
    )
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output


def test_version() -> None:
    result = smkit("version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"smkit {__version__} ")


def test_validate_a_good_plant() -> None:
    result = smkit("validate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert (
        "OK: site hn-mech (Asia/Ho_Chi_Minh), 2 areas, 2 lines, 3 machines, 14 signals"
        in result.stdout
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("site: [unclosed\n", "invalid YAML"),
        (MINIMAL.replace("timezone:", "timezon:"), "did you mean 'timezone'?"),
        (
            MINIMAL.replace("ideal_cycle_time_s: 30", "ideal_cycle_time_s: abc"),
            "must be a number, got 'abc'",
        ),
        (MINIMAL + "            - {id: m1}\n", "duplicate machine id 'm1'"),
        (
            MINIMAL + "historian: {kind: influx, token_env: SMKIT_NOT_SET_ANYWHERE}\n",
            "'SMKIT_NOT_SET_ANYWHERE' is not set",
        ),
    ],
)
def test_user_mistakes_exit_2_with_clear_lines(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(text)
    result = smkit("validate", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert all(line.startswith(f"{path}:") for line in result.stderr.splitlines())


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = smkit("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory"
    )


def test_usage_errors_exit_2() -> None:
    result = smkit("validate")
    assert result.returncode == 2 and "Missing argument" in result.stderr


def test_historian_ping_sqlite_and_influx(tmp_path: Path, influx_server: LocalInflux) -> None:
    result = smkit("historian", "ping", "--plant", str(plant_file(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sqlite 3.")
    influx = plant_file(tmp_path, f"historian: {{kind: influx, url: '{influx_server.url}'}}\n")
    result = smkit("historian", "ping", "-p", str(influx))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("influx 1.6.7")


def test_an_unreachable_historian_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = plant_file(
        tmp_path, f"historian: {{kind: influx, url: 'http://127.0.0.1:{free_port()}'}}\n"
    )
    result = smkit("historian", "ping", "-p", str(path))
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: influx historian is not available: InfluxDB at http://127.0.0.1:"
    )
    assert len(result.stderr.splitlines()) == 1


def test_historian_latest_in_local_time(tmp_path: Path) -> None:
    path = plant_file(tmp_path)

    async def write() -> None:
        historian = SqliteHistorian(tmp_path / "smkit.db")
        await historian.write_samples(
            [Sample("m1", "temp", T0, 21.5), Sample("m1", "state", T0, 6)]
        )
        await historian.close()

    asyncio.run(write())
    result = smkit("historian", "latest", "-p", str(path), "--machine", "m1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["machine", "signal", "time", "value", "quality"]
    assert lines[1].split() == ["m1", "state", "2025-11-24T23:00:00.000+07:00", "6", "good"]
    assert lines[2].split() == ["m1", "temp", "2025-11-24T23:00:00.000+07:00", "21.5", "good"]


def test_outbox_status_and_dead_letters(tmp_path: Path) -> None:
    path = plant_file(tmp_path)
    assert smkit("outbox", "status", "-p", str(path)).stdout.endswith(
        "not created yet (nothing was ever collected)\n"
    )

    async def fill() -> None:
        outbox = Outbox(tmp_path / "smkit-outbox.db")
        await outbox.put([Sample("m1", "temp", T0 + n, float(n)) for n in range(5)])
        batch = await outbox.peek(10)
        assert batch is not None
        await outbox.settle(batch, [(batch.samples[0], "field type conflict")])
        await outbox.put([Sample("m1", "temp", T0 + 9, 9.0)])
        await outbox.close()

    asyncio.run(fill())
    status = smkit("outbox", "status", "-p", str(path))
    assert status.returncode == 0, status.stderr
    assert "waiting: 1 samples in 1 batches" in status.stdout
    assert "accepted: 6" in status.stdout and "delivered: 4" in status.stdout
    assert "dead_lettered: 1" in status.stdout
    letters = smkit("outbox", "dead-letters", "-p", str(path)).stdout.splitlines()
    assert letters[1].split()[1:] == ["m1", "temp", "0.0", "field", "type", "conflict"]


def test_historian_pack_packs_sealed_hours_and_vacuum_gives_the_space_back(
    tmp_path: Path,
) -> None:
    path = plant_file(tmp_path)
    seconds = [Sample("m1", "temp", T0 + s * 10**9, float(s)) for s in range(6 * 3600)]

    async def write() -> None:
        async with SqliteHistorian(tmp_path / "smkit.db") as historian:
            await historian.write_samples(seconds)

    async def read() -> list[Sample]:
        async with SqliteHistorian(tmp_path / "smkit.db") as historian:
            return await historian.read_series(["m1"], T0, T0 + 6 * 3600 * 10**9)

    def on_disk() -> int:
        return sum(file.stat().st_size for file in tmp_path.glob("smkit.db*"))

    asyncio.run(write())
    before = on_disk()
    result = smkit("historian", "pack", "-p", str(path), "--vacuum")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("packed 21,600 samples into hours and vacuumed: ")
    assert on_disk() < 0.7 * before  # 17 bytes a sample packed, about 30 as a row
    assert asyncio.run(read()) == seconds
    again = smkit("historian", "pack", "-p", str(path))
    assert again.stdout.startswith("packed 0 samples into hours: ")


def test_historian_pack_of_influxdb_is_a_usage_error(tmp_path: Path) -> None:
    path = plant_file(tmp_path, "historian: {kind: influx, url: 'http://127.0.0.1:8086'}\n")
    result = smkit("historian", "pack", "-p", str(path))
    assert result.returncode == 2
    assert "historian.kind is 'influx'; only the SQLite historian packs hours" in result.stderr
    assert "Traceback" not in result.stderr
