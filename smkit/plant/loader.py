"""Load plant.yaml: parse, check shape, references and secrets; report every problem at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from smkit.plant.checks import plant_problems, secret_problems
from smkit.plant.model import Plant
from smkit.plant.yamlfile import read_text, validate_yaml


def load_plant(path: str | Path, environ: Mapping[str, str] | None = None) -> Plant:
    """Read and check a plant file; raise :class:`ConfigError` listing every problem found.

    ``environ`` supplies the secrets named by ``*_env`` keys (``os.environ`` when omitted).
    """
    path = Path(path)
    return parse_plant(read_text(path), str(path), base_dir=path.parent, environ=environ)


def parse_plant(
    text: str,
    name: str = "plant.yaml",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Plant:
    """Check plant YAML text; ``name`` appears in messages, ``base_dir`` anchors relative paths."""
    document = validate_yaml(text, name, Plant, "a 'site' key", {"base_dir": base_dir})
    plant = document.model
    problems = plant_problems(plant)
    missing, secrets = secret_problems(plant, os.environ if environ is None else environ)
    if problems or missing:
        raise document.error(problems + missing)
    return plant.with_secrets(secrets)
