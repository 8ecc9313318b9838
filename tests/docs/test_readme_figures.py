"""Documentation carries its own figures: a README that cites a benchmark gives the command it
was measured with and the machine, and none sends the reader to an issue's closing note."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
READMES = sorted(
    p for p in [ROOT / "README.md", *ROOT.glob("smkit/**/README.md"), *ROOT.glob("docs/*.md")]
)
MACHINE = re.compile(r"2-core, 24 GB Debian VM|2 cores, 24 GB, Debian")


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_readme_states_its_measured_figures_with_the_command_and_the_machine(
    readme: Path,
) -> None:
    text = readme.read_text(encoding="utf-8")
    assert "closing note" not in text and not re.search(r"issue #\d", text)
    cited = set(re.findall(r"benchmarks/(\w+)\.py", text))
    for name in cited:
        assert f".venv/bin/python benchmarks/{name}.py" in text, f"{name}: how it was run"
    if cited:
        assert MACHINE.search(text), "on which machine"
        assert re.search(r"\d[\d,.]* ?(s|ms|µs|MB|samples/s|changes/s|values/s)\b", text)


def test_every_benchmark_is_run_by_make_bench() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        assert f"benchmarks/{script.name}" in makefile, script.name
