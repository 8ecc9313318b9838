"""The scenarios shipped with smkit, found by name or by path."""

from __future__ import annotations

from pathlib import Path

from smkit.errors import ConfigError
from smkit.simulators.scenario import LoadedScenario, load_scenario

SCENARIOS = Path(__file__).parent / "scenarios"


def shipped() -> list[Path]:
    """The scenario files that come with smkit, by name."""
    return sorted(SCENARIOS.glob("*/scenario.yaml"))


def find_scenario(name_or_path: str) -> LoadedScenario:
    """A shipped scenario by name (``cnc-cell``) or any scenario file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario(path)
    for candidate in shipped():
        if candidate.parent.name == name_or_path:
            return load_scenario(candidate)
    names = ", ".join(candidate.parent.name for candidate in shipped())
    raise ConfigError(f"no scenario {name_or_path!r}: give a scenario file or one of {names}")
