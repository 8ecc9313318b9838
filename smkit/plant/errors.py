"""Turn validation problems into one-line messages: ``file:line:col: path: what is allowed``."""

from __future__ import annotations

import types
from collections.abc import Sequence
from difflib import get_close_matches
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from smkit.plant.checks import Loc, Problem, render_loc

_PLAIN = {
    "missing": "missing required key",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "date_from_datetime_parsing": "must be a date YYYY-MM-DD",
    "date_parsing": "must be a date YYYY-MM-DD",
    "datetime_from_date_parsing": "must be a local date-time YYYY-MM-DDTHH:MM",
    "datetime_parsing": "must be a local date-time YYYY-MM-DDTHH:MM",
    "datetime_type": "must be a local date-time YYYY-MM-DDTHH:MM",
}
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def validation_problems(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Rewrite pydantic's errors as (YAML location, message), dropping union-tag noise."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc, owner = _yaml_loc(root, item["loc"])
        problems.append((loc, _message(item, owner)))
    return problems


def format_problems(
    path: str, problems: Sequence[Problem], document: yaml.Node | None
) -> list[str]:
    """One line per problem, in file order, with the line and column of the node when known."""
    placed = []
    for loc, message in problems:
        node = _node_at(document, loc)
        position = (
            (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (0, 0)
        )
        where = f"{path}:{position[0]}:{position[1]}" if node is not None else path
        rendered = render_loc(loc)
        placed.append(
            (position, f"{where}: {rendered}: {message}" if rendered else f"{where}: {message}")
        )
    return [line for _, line in sorted(placed, key=lambda item: item[0])]


def _message(item: Any, owner: type[BaseModel] | None) -> str:
    kind, given = item["type"], item.get("input")
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(item["loc"][-1])
        allowed = sorted(owner.model_fields) if owner else []
        close = get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {_BOUNDS[kind]} {bound}, got {given!r}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        return f"must be one of {expected}; got {given!r}"
    if kind == "union_tag_invalid":
        tag = ctx.get("discriminator", "'kind'")
        return f"{tag} must be one of {ctx.get('expected_tags')}; got {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return (
            f"missing required key {ctx.get('discriminator', 'kind')}; it says which kind this is"
        )
    if kind == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f"missing required key {str(item['loc'][-1])!r}"
    if kind in ("too_short", "too_long"):
        return (
            f"needs at least {ctx.get('min_length')} item(s)"
            if kind == "too_short"
            else str(item["msg"])
        )
    plain = _PLAIN.get(kind, str(item["msg"]).rstrip(".").lower())
    return f"{plain}, got {given!r}"


def _yaml_loc(
    root: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[Loc, type[BaseModel] | None]:
    """Follow pydantic's location through the model types; keep only the parts that are in the YAML.

    Pydantic puts the tag of a discriminated union and the branch of a plain union into the
    location; they are not keys of the document, so they are dropped. Returns the model that owns
    the last key too, so an unknown key can be compared with the allowed ones.
    """
    kept: list[str | int] = []
    current: Any = root
    owner: type[BaseModel] | None = root
    for part in loc:
        current = _strip(current)
        members = _union_members(current)
        if members is not None:
            chosen = _pick_member(members, part)
            if chosen is not None:
                current = chosen
                continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif get_origin(current) is list:
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            current = None
        kept.append(part)
    return tuple(kept), owner


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        return [_strip(a) for a in get_args(annotation) if a is not type(None)]
    return None


def _pick_member(members: list[Any], part: int | str) -> Any | None:
    """The union member named by a location part: a tag value, a class name or a type name."""
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            tag = (
                get_args(kind.annotation) if kind and get_origin(kind.annotation) is Literal else ()
            )
            if part in tag or part == member.__name__:
                return member
        if getattr(member, "__name__", None) == part:
            return member
    return None


def _node_at(document: yaml.Node | None, loc: Loc) -> yaml.Node | None:
    """The YAML node at a location: a key's node for the last step, so the column points at it."""
    node = document
    for depth, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                return node
            node = match[0] if depth == len(loc) - 1 else match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node
    return node
