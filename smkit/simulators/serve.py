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

    async def publish(self, values: list[SignalValue]) -> list[SignalValue]: ...
    async def stop(self) -> None: ...


@dataclass(frozen=True)
class ServeOptions:
    """What to serve, how fast, and where to write what happened."""

    seed: int = 1
    duration_s: float = 8 * 3600.0
    speed: float = 1.0
    linger_s: float = 0.0
    start_after_s: float = 0.0
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
    outlets = _Outlets()
    values_file = options.values_path.open("w") if options.values_path else None
    try:
        await outlets.open(loaded, options, report, log.start)
        on_ready(_endpoints(options))
        if options.start_after_s > 0:  # time for collectors to connect before the first value
            await asyncio.sleep(options.start_after_s)
        faults = connection_faults(options.chaos, options.seed, log.start, log.end)
        clock = SimClock(log.start, options.speed)
        async for batch in paced(signal_values(loaded.scenario, loaded.plant, log), clock):
            while faults and faults[0].ts <= batch[0].ts:
                await _inject(faults.pop(0), options.chaos, outlets.opcua, outlets.mqtt)
            for name, shown in await outlets.publish(batch):
                report.served[name] = report.served.get(name, 0) + len(shown)
                if values_file is not None:
                    _log_values(values_file, name, shown)
            report.served_until = batch[-1].ts
        await clock.sleep_until(log.end)
        report.served_until, report.finished = log.end, True
        await asyncio.sleep(options.linger_s)
    finally:
        await outlets.stop()
        if values_file is not None:
            _log_values(values_file, "opcua", outlets.replayed())
            values_file.close()
        if options.truth_path is not None:
            served = {"values": report.served, "until": report.served_until,
                      "finished": report.finished}  # fmt: skip
            write_truth(options.truth_path, log, served, report.chaos.entries)
    return report


@dataclass
class _Outlets:
    """The protocols a run is served over."""

    opcua: SimulatedOpcUaServer | None = None
    mqtt: MqttPublisher | None = None
    opened: dict[str, Outlet] = field(default_factory=dict)

    async def open(
        self, loaded: LoadedScenario, options: ServeOptions, report: ServeReport, start: int
    ) -> None:
        scenario = loaded.scenario.name
        if options.opcua is not None:
            self.opcua = SimulatedOpcUaServer(loaded.plant, scenario, options.opcua, report.chaos)
            await self.opcua.start()
            self.opened["opcua"] = self.opcua
        if options.mqtt is not None:
            self.mqtt = MqttPublisher(
                loaded.plant,
                scenario,
                options.mqtt,
                chaos=options.chaos.mqtt,
                chaos_log=report.chaos,
                seed=options.seed,
            )
            await self.mqtt.start(start)
            self.opened["mqtt"] = self.mqtt

    async def publish(self, batch: list[SignalValue]) -> list[tuple[str, list[SignalValue]]]:
        """Each outlet's values shown, OPC UA's latest values re-shown after a restart first."""
        shown = [("opcua", self.replayed())] if self.opcua is not None else []
        for name, outlet in self.opened.items():
            shown.append((name, await outlet.publish(batch)))
        return shown

    def replayed(self) -> list[SignalValue]:
        return self.opcua.take_replayed() if self.opcua is not None else []

    async def stop(self) -> None:
        for outlet in self.opened.values():
            await outlet.stop()


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
