"""Splitting a plant's sources across collector processes (``collectors:`` in plant.yaml).

One collector process serves a plant until one core is not enough. Then ``collectors`` names
several, each started with ``smkit collect --collector ID``: it collects only its ``sources``,
keeps its own outbox (``<outbox>.<id>.db``; two processes never share one) and health file, and
connects to MQTT brokers with its own client id (``<client id>-<id>``). An OPC UA endpoint or a
file folder belongs to one collector; an MQTT source may be listed by several only when it has a
``shared_group``, so that the broker hands each message to one of them. One collector (``oee:
true``, else the first) recomputes the OEE records.
"""

from __future__ import annotations

from collections import Counter

from pydantic import Field

from smkit.plant.base import ConfigModel, Identifier
from smkit.plant.mqtt import MqttSource


class CollectorSettings(ConfigModel):
    """One collector process and the sources it collects."""

    id: Identifier
    sources: list[Identifier] = Field(min_length=1)
    oee: bool = False


Loc = tuple[str | int, ...]


def collector_problems(
    collectors: list[CollectorSettings], sources: dict[str, object]
) -> list[tuple[Loc, str]]:
    """What is wrong with the split: unknown or doubly served sources, repeated ids, two OEE
    collectors, sources no collector serves."""
    problems: list[tuple[Loc, str]] = []
    repeated = [i for i, n in Counter(c.id for c in collectors).items() if n > 1]
    problems += [(("collectors",), f"collector id {i!r} is used twice") for i in repeated]
    if sum(c.oee for c in collectors) > 1:
        problems.append((("collectors",), "oee: true may be set on one collector only"))
    served: dict[str, str] = {}
    for index, collector in enumerate(collectors):
        for position, source_id in enumerate(collector.sources):
            loc: Loc = ("collectors", index, "sources", position)
            source = sources.get(source_id)
            if source is None:
                known = ", ".join(sources) or "none"
                problems.append((loc, f"no source {source_id!r} (sources: {known})"))
                continue
            shared = isinstance(source, MqttSource) and source.shared_group is not None
            if source_id in served and not shared:
                problems.append((loc, f"source {source_id!r} is already collected by "
                                      f"{served[source_id]!r}; only an MQTT source with a "
                                      "shared_group may be split across collectors"))  # fmt: skip
            served.setdefault(source_id, collector.id)
    if collectors:
        for source_id in sources:
            if source_id not in served:
                problems.append((("collectors",), f"no collector collects source {source_id!r}"))
    return problems
