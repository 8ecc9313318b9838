"""MQTT 5 PUBLISH properties read without rebuilding paho's tables for every message.

paho-mqtt 2.x reads the properties of each MQTT 5 PUBLISH into a new ``Properties`` object,
whose constructor builds three tables of every property MQTT 5 defines (some 70 entries) and
whose ``unpack`` first clears all 27 names one by one. For a small JSON message that is a
quarter of the reading thread's time, which is why MQTT 5 read at about 0.5x the rate of MQTT
3.1.1 in ``benchmarks/mqtt_ingest.py``. paho offers no option to skip or share them, so
:func:`read_properties_cheaply` gives paho's PUBLISH decoder a subclass that shares the tables
(built once per packet type by paho itself, never changed) and clears only what is set. The
properties read, and every check paho makes on them, are paho's own; when paho's internals are
not the ones this was written against, nothing is changed.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from paho.mqtt import _packet as paho_packet
from paho.mqtt.properties import Properties

log = logging.getLogger("smkit.mqtt")
_TABLES = ("types", "names", "properties")


class SharedTableProperties(Properties):
    """paho's ``Properties`` with the tables of its packet type shared, not rebuilt."""

    _built: ClassVar[dict[int, Properties]] = {}

    def __init__(self, packetType: int) -> None:  # noqa: N803 - paho's parameter name
        built = self._built.get(packetType)
        if built is None:
            built = self._built.setdefault(packetType, Properties(packetType))  # type: ignore[no-untyped-call]
        object.__setattr__(self, "packetType", packetType)
        for table in _TABLES:
            object.__setattr__(self, table, getattr(built, table))

    def clear(self) -> None:
        """Remove the properties that are set (paho's tries every name)."""
        for name in [n for n in vars(self) if n != "packetType" and n not in _TABLES]:
            delattr(self, name)


def read_properties_cheaply() -> bool:
    """Make paho's PUBLISH decoder use :class:`SharedTableProperties`; whether it does."""
    current: Any = getattr(paho_packet, "Properties", None)
    if current is SharedTableProperties:
        return True
    publish = Properties(3)  # type: ignore[no-untyped-call]
    if current is not Properties or not all(hasattr(publish, t) for t in _TABLES):
        log.debug("paho's PUBLISH decoder is not the one expected; its properties are read as is")
        return False
    setattr(paho_packet, "Properties", SharedTableProperties)  # noqa: B010 - not exported
    return True
