"""YAML configuration files: parse once, validate into a pydantic model, report every problem
with its place (``file:line:col: path: message``). Used for plant.yaml and scenario files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from smkit.errors import ConfigError
from smkit.plant.checks import Problem
from smkit.plant.errors import format_problems, validation_problems

M = TypeVar("M", bound=BaseModel)
_BOOL_TAG = "tag:yaml.org,2002:bool"


@dataclass(frozen=True)
class Document(Generic[M]):
    """A validated YAML file, with its node tree kept to place later (semantic) problems."""

    name: str
    node: yaml.Node | None
    model: M

    def error(self, problems: list[Problem]) -> ConfigError:
        """A ConfigError listing ``problems`` at their places in this file."""
        return ConfigError(format_problems(self.name, problems, self.node))


def read_text(path: Path) -> str:
    """A configuration file's text, or a ConfigError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise ConfigError(
            f"{path}: not UTF-8 text: byte 0x{byte:02X} at offset {exc.start} "
            "(save the file as UTF-8)"
        ) from None


def validate_yaml(
    text: str, name: str, model: type[M], what: str, context: dict[str, Any] | None = None
) -> Document[M]:
    """Parse ``text`` and validate it as ``model``; ``what`` names the keys a file must have."""
    return validate_parsed(parse_yaml(text, name), name, model, what, context)


def validate_parsed(
    parsed: tuple[yaml.Node | None, Any],
    name: str,
    model: type[M],
    what: str,
    context: dict[str, Any] | None = None,
) -> Document[M]:
    """Validate what :func:`parse_yaml` gave as ``model`` (a file parsed once, checked later)."""
    node, data = parsed
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: the file must be a mapping with at least {what}")
    try:
        return Document(name, node, model.model_validate(data, context=context))
    except ValidationError as exc:
        problems = validation_problems(exc, model)
        raise ConfigError(format_problems(name, problems, node)) from None


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that refuses a key written twice in a mapping (YAML would keep the last)
    and reads booleans as YAML 1.2 does: only ``true`` and ``false``.

    PyYAML follows YAML 1.1, where ``yes``, ``no``, ``on`` and ``off`` (any case) are booleans
    too, so a state map's ``OFF: not_scheduled`` would map the boolean false, never the text
    "OFF" that a machine sends. Where a boolean is meant (``is_failure: yes``), pydantic still
    reads these words as one. It parses with libyaml when PyYAML has it (ten times faster).
    """

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice in this mapping", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_UniqueKeyLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str, name: str) -> tuple[yaml.Node | None, Any]:
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
