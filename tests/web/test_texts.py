"""Every word a page shows exists in Vietnamese and English: the keys written in templates and
page modules, and those built from the engine's names (states, stop kinds, losses, ratings)."""

from __future__ import annotations

import re
from pathlib import Path

from smkit.oee.elements import Elements
from smkit.oee.timeline import CLASS_NAMES
from smkit.plant.machine import StateCategory
from smkit.web.page import texts
from smkit.web.pages.readiness import RATINGS

WEB = Path(__file__).resolve().parents[2] / "smkit" / "web"
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+)["']""")


def used_keys() -> set[str]:
    found = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.rglob("*.py")]:
        found |= {k for k in LITERAL.findall(path.read_text(encoding="utf-8")) if k[-1] != "_"}
    return found


def built_keys() -> set[str]:
    return ({f"state_{c.value}" for c in StateCategory} | {"state_none"}
            | {f"kind_{name}" for name in CLASS_NAMES if name != "running"}
            | {f"loss_{name}" for name in Elements().losses()} | {"loss_valuable"}
            | {f"rating_{r}" for r in (*RATINGS, "none")}
            | {f"source_{s}" for s in ("machine", "operator", "none")})  # fmt: skip


def test_every_key_a_page_uses_has_both_languages() -> None:
    words = texts()
    keys = used_keys() | built_keys()
    assert len(keys) > 100
    assert sorted(k for k in keys if k not in words) == []
    assert (
        sorted(k for k, v in words.items() if set(v) != {"vi", "en"} or not all(v.values())) == []
    )
    assert sorted(k for k, v in words.items() if v["vi"] == v["en"] and k not in
                  {"app_name", "oee"}) == []  # a word left untranslated  # fmt: skip
