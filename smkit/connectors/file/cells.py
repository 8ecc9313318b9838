"""A value cell of an export as the type its signal declares, with the file's decimal mark."""

from __future__ import annotations

from collections.abc import Callable

from smkit.connectors.common.cast import cast
from smkit.core.sample import Value

CellParser = Callable[[str], Value]
TRUE_WORDS = frozenset({"1", "true", "on", "yes"})
FALSE_WORDS = frozenset({"0", "false", "off", "no"})


def cell_parser(value_type: str, decimal: str) -> CellParser:
    """How cells of a signal of ``value_type`` are read; raises ``ValueError`` with the reason."""
    if value_type == "str":
        return str.strip
    if value_type == "bool":
        return _boolean
    number = _number(decimal)
    return lambda text: cast(number(text), value_type)


def _boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a boolean (1/0, true/false, on/off, yes/no)")


def _number(decimal: str) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        plain = text.strip().replace("\u00a0", "").replace(" ", "")
        if decimal == ",":
            if "." in plain and "," not in plain:
                raise ValueError(f"{text!r} has '.', but this file's decimal mark is ','")
            plain = plain.replace(".", "").replace(",", ".")
        try:
            return int(plain)
        except ValueError:
            pass
        try:
            return float(plain)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None

    return parse
