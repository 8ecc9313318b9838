"""A received value as the type its signal declares in plant.yaml, the same for every connector."""

from __future__ import annotations

from typing import Any

from smkit.core.sample import Value


def cast(value: Any, value_type: str) -> Value:
    """The value as the signal's declared type; ``ValueError`` if it cannot be one."""
    if value is None:
        raise ValueError("no value")
    if value_type == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{type(value).__name__} is not a number")
        return float(value)
    if value_type == "int":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        if not isinstance(value, int | float):
            raise ValueError(f"{type(value).__name__} is not an integer")
        return int(value)
    if value_type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(f"{value!r} is not a boolean")
    return value if isinstance(value, str) else str(value)
