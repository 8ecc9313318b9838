"""The words of readiness reports, in Vietnamese and English (``texts.yaml``; the framework's
own texts live in the framework file)."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import yaml

Lang = Literal["vi", "en"]

TEXTS: dict[str, dict[str, str]] = yaml.safe_load(
    resources.files("smkit.readiness").joinpath("texts.yaml").read_text(encoding="utf-8")
)


def text(key: str, lang: Lang) -> str:
    """One report word in ``lang``."""
    return TEXTS[key][lang]
