"""Topic templates: the MQTT filter to subscribe with, and the fields a matching topic carries.

``{site}/{area}/{line}/{machine}/{signal}`` subscribes to ``+/+/+/+/+`` and reads each level
back from the topic. A level that mixes a placeholder with text (``cell-{machine}``) is
subscribed as ``+`` and matched by the pattern. ``+`` and ``#`` may be used as in MQTT.
"""

from __future__ import annotations

import re

from smkit.plant.machine import PLACEHOLDER

KNOWN_TOPICS = 100_000
"""How many topics a reader remembers what it found in (route, machine, parts), so that it
does not match the same topic again for every message."""


class TopicTemplate:
    """One subscription's topic template."""

    def __init__(self, template: str, shared_group: str | None = None) -> None:
        self.template = template
        levels = template.split("/")
        self.filter = "/".join("+" if "{" in level else level for level in levels)
        if shared_group is not None:
            self.filter = f"$share/{shared_group}/{self.filter}"
        self._pattern = re.compile("^" + "/".join(_level_pattern(lv) for lv in levels) + "$")

    def match(self, topic: str) -> dict[str, str] | None:
        """The placeholder values of a topic of this shape, or None if it is not one."""
        found = self._pattern.match(topic)
        return None if found is None else found.groupdict()


def _level_pattern(level: str) -> str:
    if level == "+":
        return "[^/]+"
    if level == "#":
        return ".*"
    out, position = [], 0
    for placeholder in PLACEHOLDER.finditer(level):
        out.append(re.escape(level[position : placeholder.start()]))
        out.append(f"(?P<{placeholder.group(1)}>[^/]+)")
        position = placeholder.end()
    out.append(re.escape(level[position:]))
    return "".join(out)
