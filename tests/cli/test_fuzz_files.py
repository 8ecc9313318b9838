"""Every command that reads a user's file, fed random bytes, text that is not UTF-8, truncated
YAML, a directory or an empty file: one clear line and exit 2 (or 0 for a truncation that is
still a valid file), never a traceback. Run in-process for speed."""

from __future__ import annotations

import random
import shutil
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from smkit.cli.app import main

EXAMPLES = Path(__file__).parents[2] / "examples"
WINDOW = ["--from", "2026-11-23T00:00", "--to", "2026-11-24T00:00"]

Command = Callable[[Path], list[str]]
PLANT_COMMANDS: dict[str, Command] = {
    "validate": lambda f: ["validate", str(f)],
    "status": lambda f: ["status", "--plant", str(f)],
    "historian ping": lambda f: ["historian", "ping", "--plant", str(f)],
    "historian latest": lambda f: ["historian", "latest", "--plant", str(f)],
    "outbox status": lambda f: ["outbox", "status", "--plant", str(f)],
    "outbox dead-letters": lambda f: ["outbox", "dead-letters", "--plant", str(f)],
    "oee report": lambda f: ["oee", "report", "--plant", str(f), *WINDOW],
    "oee losses": lambda f: ["oee", "losses", "--plant", str(f), *WINDOW],
    "oee run": lambda f: ["oee", "run", "--plant", str(f), *WINDOW],
    "oee finding": lambda f: ["oee", "finding", "--plant", str(f), "--machine", "cnc-01",
                              "--at", "2026-11-23T09:00", "--scrap", "3"],
    "readiness evidence": lambda f: ["readiness", "evidence", "--plant", str(f), "--to",
                                     "2026-11-24T00:00", "--out", str(f.parent / "out.yaml")],
}  # fmt: skip
ASSESSMENT_COMMANDS: dict[str, Command] = {
    "readiness score": lambda f: ["readiness", "score", str(f)],
    "readiness report": lambda f: ["readiness", "report", str(f), "--out",
                                   str(f.parent / "report.html")],
    "readiness compare": lambda f: ["readiness", "compare", str(f),
                                    str(EXAMPLES / "readiness" / "an-phat-plastics-2026.yaml")],
    "readiness benchmark": lambda f: ["readiness", "benchmark", str(f), str(f.parent)],
    "readiness score --framework": lambda f: [
        "readiness", "score", str(EXAMPLES / "readiness" / "an-phat-plastics-2026.yaml"),
        "--framework", str(f)],
    "readiness init --framework": lambda f: ["readiness", "init", "--framework", str(f),
                                             "--out", str(f.parent / "new.yaml")],
}  # fmt: skip
SCENARIO_COMMANDS: dict[str, Command] = {
    "simulate truth": lambda f: ["simulate", "truth", "--scenario", str(f), "--duration", "1h"],
    "collect": lambda f: ["collect", "--plant", str(f)],
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``smkit argv`` in this process: its exit code and what it printed to stderr."""
    saved = sys.argv
    sys.argv = ["smkit", *argv]
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = saved
    return code, capsys.readouterr().err


def bad_files(folder: Path, valid: Path, seed: int) -> dict[str, tuple[Path, bool]]:
    """Broken versions of ``valid``: name -> (path, whether it must be refused)."""
    rng = random.Random(seed)
    text = valid.read_bytes()
    out: dict[str, tuple[Path, bool]] = {}

    def put(name: str, data: bytes, refused: bool) -> None:
        path = folder / f"{name}.yaml"
        path.write_bytes(data)
        out[name] = (path, refused)

    put("empty", b"", True)
    put("random", bytes(rng.randrange(256) for _ in range(400)), True)
    put("latin1", "site:\n  id: nhà-máy\n".encode("latin-1"), True)
    put("utf16", text.decode().encode("utf-16"), True)
    put("nul", text[:50] + b"\x00" + text[50:], True)
    for n in range(4):
        put(f"truncated{n}", text[: rng.randrange(1, len(text))], False)
    (folder / "a-directory").mkdir()
    out["directory"] = (folder / "a-directory", True)
    out["missing"] = (folder / "missing.yaml", True)
    return out


def check(command: Command, files: dict[str, tuple[Path, bool]],
          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    for name, (path, refused) in files.items():
        code, err = run(command(path), capsys)
        assert "Traceback" not in err, (name, err)
        assert code in ((2,) if refused else (0, 2)), (name, code, err)
        if code == 2:
            assert str(path) in err or "--" in err, (name, err)
        if refused:
            assert len(err.strip().splitlines()) == 1, (name, err)


@pytest.mark.parametrize("name", PLANT_COMMANDS)
def test_plant_commands_refuse_broken_files_in_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = tmp_path / "plant.yaml"
    shutil.copy(EXAMPLES / "plant.yaml", valid)
    check(PLANT_COMMANDS[name], bad_files(tmp_path, valid, zlib.crc32(name.encode())), capsys)


@pytest.mark.parametrize("name", ASSESSMENT_COMMANDS)
def test_readiness_commands_refuse_broken_files_in_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = tmp_path / "assessment.yaml"
    shutil.copy(EXAMPLES / "readiness" / "saigon-precision-2026.yaml", valid)
    check(ASSESSMENT_COMMANDS[name], bad_files(tmp_path, valid, 7), capsys)


@pytest.mark.parametrize("name", SCENARIO_COMMANDS)
def test_scenario_and_collect_commands_refuse_broken_files_in_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {k: v for k, v in bad_files(tmp_path, EXAMPLES / "plant.yaml", 3).items() if v[1]}
    check(SCENARIO_COMMANDS[name], files, capsys)
