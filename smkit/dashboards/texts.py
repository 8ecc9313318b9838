"""The words of the dashboards in Vietnamese and English (``texts.yaml``): Grafana shows a
dashboard's text as written, so each dashboard is built once per language."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")


@cache
def _texts() -> dict[str, dict[str, str]]:
    text = resources.files("smkit.dashboards").joinpath("texts.yaml").read_text(encoding="utf-8")
    found: dict[str, dict[str, str]] = yaml.safe_load(text)
    return found


def word(key: str, lang: Lang) -> str:
    """The text of ``key`` in ``lang`` (a KeyError names a missing key)."""
    return _texts()[key][lang]


def keys() -> list[str]:
    """Every key (the tests check each has both languages)."""
    return list(_texts())
