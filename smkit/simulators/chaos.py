"""Chaos mode: the faults a simulator injects, at configured rates, and the record of them.

Connection faults (an OPC UA session dropped, the server restarted, the broker connection cut)
happen at random instants of simulated time, drawn from the seed before the run starts. Message
faults (a duplicate, two messages swapped, a malformed payload next to a good one) are decided
per message. Everything injected is recorded, with its simulated instant, in the truth file, so
a test knows exactly what a collector had to survive.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from smkit.core.timeunits import HOUR_NS as NS_PER_HOUR
from smkit.plant.base import ConfigModel, DurationS
from smkit.plant.yamlfile import read_text, validate_yaml


class OpcUaChaos(ConfigModel):
    """Faults of the OPC UA server. Rates are per hour of simulated time."""

    session_drops_per_hour: float = Field(default=0.0, ge=0)
    restarts_per_hour: float = Field(default=0.0, ge=0)
    restart_downtime: DurationS = 2.0
    shift_namespace_on_restart: bool = False


class MqttChaos(ConfigModel):
    """Faults of the MQTT publisher: disconnects per simulated hour, message faults as fractions."""

    disconnects_per_hour: float = Field(default=0.0, ge=0)
    disconnect_downtime: DurationS = 2.0
    duplicates: float = Field(default=0.0, ge=0, le=1)
    out_of_order: float = Field(default=0.0, ge=0, le=1)
    malformed: float = Field(default=0.0, ge=0, le=1)


class Chaos(ConfigModel):
    """What to inject; ``restart_downtime`` and ``disconnect_downtime`` are wall-clock time."""

    opcua: OpcUaChaos = OpcUaChaos()
    mqtt: MqttChaos = MqttChaos()


def load_chaos(path: str | Path) -> Chaos:
    """Read and check a chaos file."""
    return validate_yaml(read_text(Path(path)), str(path), Chaos, "'opcua' and 'mqtt'").model


@dataclass(frozen=True, order=True)
class Fault:
    """A connection fault due at simulated instant ``ts``."""

    ts: int
    protocol: str
    kind: str


def connection_faults(chaos: Chaos, seed: int, start: int, end: int) -> list[Fault]:
    """The connection faults of a run, in time order; the same for the same seed."""
    rng = random.Random(f"{seed}/chaos")
    rates = [
        ("opcua", "session_drop", chaos.opcua.session_drops_per_hour),
        ("opcua", "server_restart", chaos.opcua.restarts_per_hour),
        ("mqtt", "broker_disconnect", chaos.mqtt.disconnects_per_hour),
    ]
    faults: list[Fault] = []
    for protocol, kind, per_hour in rates:
        if per_hour <= 0:
            continue
        ts = start
        while True:
            ts += round(rng.expovariate(per_hour) * NS_PER_HOUR)
            if ts >= end:
                break
            faults.append(Fault(ts, protocol, kind))
    return sorted(faults)


class ChaosLog:
    """What was injected, in the order it happened; JSON-ready for the truth file."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, ts: int, protocol: str, kind: str, **details: Any) -> dict[str, Any]:
        """Note one injected fault at simulated instant ``ts``; the entry can be completed later."""
        entry = {"ts": ts, "protocol": protocol, "kind": kind, **details}
        self.entries.append(entry)
        return entry

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected."""
        out: dict[str, int] = {}
        for entry in self.entries:
            out[entry["kind"]] = out.get(entry["kind"], 0) + 1
        return out
