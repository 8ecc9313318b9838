"""Serve a simulated run live: over OPC UA, MQTT or both, paced by a simulated clock, with chaos.

The run is simulated first (deterministic for its seed), so its ground truth is known before a
single value is served; serving then replays the run's signal values when they are due. The
truth file gets the chaos that was injected and how far the run was served; the values file
lists every value served, once per protocol, for tests to compare a collector against.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from smkit.simulators.chaos import Chaos, ChaosLog, Fault, connection_faults
from smkit.simulators.live import SimClock, paced
from smkit.simulators.mqtt_publisher import MqttOptions, MqttPublisher
from smkit.simulators.opcua_options import OpcUaOptions
from smkit.simulators.opcua_server import SimulatedOpcUaServer
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.signals import SignalValue, signal_values
from smkit.simulators.truth import write_truth


class Outlet(Protocol):
    """A protocol the machines are served over."""

    async def publish(self, values: list[SignalValue]) -> int: ...
    async def stop(self) -> None: ...


@dataclass(frozen=True)
class ServeOptions:
    """What to serve, how fast, and where to write what happened."""

    seed: int = 1
    duration_s: float = 8 * 3600.0
    speed: float = 1.0
    linger_s: float = 0.0
    opcua: OpcUaOptions | None = None
    mqtt: MqttOptions | None = None
    chaos: Chaos = field(default_factory=Chaos)
    truth_path: Path | None = None
    values_path: Path | None = None


@dataclass
class ServeReport:
    """What a serving run did."""

    served: dict[str, int] = field(default_factory=dict)
    served_until: int = 0
    chaos: ChaosLog = field(default_factory=ChaosLog)
    finished: bool = False


async def serve(
    loaded: LoadedScenario,
    options: ServeOptions,
    on_ready: Callable[[dict[str, str]], None] = lambda endpoints: None,
    on_report: Callable[[ServeReport], None] = lambda report: None,
) -> ServeReport:
    """Serve the scenario until the simulated span ends (or the task is cancelled).

    ``on_ready`` gets the endpoints once everything listens or is connected; ``on_report``
    gets the report at the start, so a caller that cancels still sees how far serving got.
    """
    log = simulate(loaded, options.seed, options.duration_s)
    report = ServeReport(served_until=log.start)
    on_report(report)
    outlets: dict[str, Outlet] = {}
    opcua: SimulatedOpcUaServer | None = None
    mqtt: MqttPublisher | None = None
    values_file = options.values_path.open("w") if options.values_path else None
    try:
        if options.opcua is not None:
            opcua = SimulatedOpcUaServer(
                loaded.plant, loaded.scenario.name, options.opcua, report.chaos
            )
            await opcua.start()
            outlets["opcua"] = opcua
        if options.mqtt is not None:
            mqtt = MqttPublisher(
                loaded.plant,
                loaded.scenario.name,
                options.mqtt,
                chaos=options.chaos.mqtt,
                chaos_log=report.chaos,
                seed=options.seed,
            )
            await mqtt.start(log.start)
            outlets["mqtt"] = mqtt
        on_ready(_endpoints(options))
        faults = connection_faults(options.chaos, options.seed, log.start, log.end)
        clock = SimClock(log.start, options.speed)
        values = signal_values(loaded.scenario, loaded.plant, log)
        async for batch in paced(values, clock):
            while faults and faults[0].ts <= batch[0].ts:
                await _inject(faults.pop(0), options.chaos, opcua, mqtt)
                if opcua is not None and values_file is not None:
                    _log_values(values_file, "opcua", opcua.take_replayed())
            for name, outlet in outlets.items():
                report.served[name] = report.served.get(name, 0) + await outlet.publish(batch)
                if values_file is not None and (name != "opcua" or opcua_up(opcua)):
                    _log_values(values_file, name, batch)
            report.served_until = batch[-1].ts
        await clock.sleep_until(log.end)
        report.served_until = log.end
        report.finished = True
        if options.linger_s > 0:
            await asyncio.sleep(options.linger_s)
    finally:
        for outlet in outlets.values():
            await outlet.stop()
        if values_file is not None:
            values_file.close()
        if options.truth_path is not None:
            served = {
                "values": report.served,
                "until": report.served_until,
                "finished": report.finished,
            }
            write_truth(options.truth_path, log, served, report.chaos.entries)
    return report


async def _inject(
    fault: Fault,
    chaos: Chaos,
    opcua: SimulatedOpcUaServer | None,
    mqtt: MqttPublisher | None,
) -> None:
    if fault.kind == "session_drop" and opcua is not None:
        await opcua.drop_sessions(fault.ts)
    elif fault.kind == "server_restart" and opcua is not None:
        await opcua.restart(
            fault.ts, chaos.opcua.restart_downtime, chaos.opcua.shift_namespace_on_restart
        )
    elif fault.kind == "broker_disconnect" and mqtt is not None:
        await mqtt.disconnect_for(fault.ts, chaos.mqtt.disconnect_downtime)


def opcua_up(server: SimulatedOpcUaServer | None) -> bool:
    """Whether the OPC UA server is listening (it serves nothing while restarting)."""
    return server is not None and server.is_up


def _log_values(out: IO[str], via: str, batch: list[SignalValue]) -> None:
    """One JSON line per value served."""
    for value in batch:
        record = {"via": via, "ts": value.ts, "machine": value.machine,
                  "signal": value.signal, "value": value.value}  # fmt: skip
        out.write(json.dumps(record) + "\n")


def _endpoints(options: ServeOptions) -> dict[str, str]:
    found = {}
    if options.opcua is not None:
        found["opcua"] = options.opcua.endpoint
    if options.mqtt is not None:
        found["mqtt"] = f"{options.mqtt.broker.url} ({options.mqtt.format})"
    return found
