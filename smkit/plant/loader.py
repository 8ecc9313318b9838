"""Load plant.yaml: parse, check shape, references and secrets; report every problem at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from smkit.errors import ConfigError
from smkit.plant.checks import plant_problems, secret_problems
from smkit.plant.errors import format_problems, validation_problems
from smkit.plant.model import Plant


def load_plant(path: str | Path, environ: Mapping[str, str] | None = None) -> Plant:
    """Read and check a plant file; raise :class:`ConfigError` listing every problem found.

    ``environ`` supplies the secrets named by ``*_env`` keys (``os.environ`` when omitted).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return parse_plant(text, str(path), base_dir=path.parent, environ=environ)


def parse_plant(
    text: str,
    name: str = "plant.yaml",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Plant:
    """Check plant YAML text; ``name`` appears in messages, ``base_dir`` anchors relative paths."""
    document, data = _parse_yaml(text, name)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: the file must be a mapping with at least a 'site' key")
    try:
        plant = Plant.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        problems = validation_problems(exc, Plant)
        raise ConfigError(format_problems(name, problems, document)) from None
    problems = plant_problems(plant)
    missing, secrets = secret_problems(plant, os.environ if environ is None else environ)
    if problems or missing:
        raise ConfigError(format_problems(name, problems + missing, document))
    return plant.with_secrets(secrets)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key written twice in a mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice in this mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for positions in messages) and the data built from it, parsed once."""
    loader: _UniqueKeyLoader | None = None
    try:
        loader = _UniqueKeyLoader(text)  # reads the text at once: may already raise
        document = loader.get_single_node()
        data = loader.construct_document(document) if document is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ConfigError(
            f"{name}:{line}:{column}: invalid YAML: control character U+{code:04X} is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {' '.join(str(exc).split())}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return document, data
