"""The plant: site → areas → lines → machines (ISA-95), plus what they share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from smkit.plant.base import ConfigModel, DurationOrZeroS, DurationS, Identifier, ZoneName
from smkit.plant.calendar import Calendar
from smkit.plant.collectors import CollectorSettings
from smkit.plant.machine import Machine, Reason, StateMap
from smkit.plant.mqtt import MqttSource
from smkit.plant.serving import ApiSettings
from smkit.plant.sources import Source
from smkit.plant.storage import HistorianSettings, OutboxSettings, SqliteSettings


class Line(ConfigModel):
    """A production line or work cell (ISA-95 work centre)."""

    id: Identifier
    name: str | None = None
    calendar: Identifier | None = None
    machines: list[Machine] = Field(default_factory=list)


class Area(ConfigModel):
    """A production area of the site (ISA-95 area)."""

    id: Identifier
    name: str | None = None
    lines: list[Line] = Field(default_factory=list)


class Site(ConfigModel):
    """The factory site: its time zone, default calendar and areas."""

    id: Identifier
    name: str | None = None
    enterprise: str | None = None
    timezone: ZoneName
    calendar: Identifier | None = None
    areas: list[Area] = Field(min_length=1)


class MachinePlace(ConfigModel):
    """Where a machine sits in the hierarchy; these become the historian's tags."""

    site: str
    area: str
    line: str


class KpiTargets(ConfigModel):
    """The level from which a KPI counts as good (a fraction of one)."""

    oee: float = Field(default=0.85, gt=0, le=1)
    availability: float = Field(default=0.90, gt=0, le=1)
    performance: float = Field(default=0.95, gt=0, le=1)
    quality: float = Field(default=0.99, gt=0, le=1)


class OeeSettings(ConfigModel):
    """Rules of the OEE time model.

    A stop without a failure, setup or planned reason lasting at most ``small_stop_threshold``
    is a small stop (else idling). Rejects within ``startup_window`` after a setup are start-up
    rejects (Nakajima's yield loss); 0 counts every reject as a production reject.
    ``smkit collect`` recomputes the last ``lookback`` of shifts every ``every`` (0: never) and
    writes their ``oee`` and ``downtime`` records. ``state_max_hold`` (off by default: most
    sources report changes only) makes a state unknown when no sample confirms it for that long.
    ``unknown_time`` counts time with no known state as an availability ``loss`` (the cautious
    default) or leaves it out of planned time (``excluded``). ``targets`` are what each KPI is
    held against on the pages (Nakajima's world-class levels unless set); a stop longer than
    ``reason_required_after`` without a reason is offered to the operator to explain.
    """

    small_stop_threshold: DurationS = Field(default=120.0, gt=0)
    startup_window: DurationOrZeroS = 0.0
    every: DurationOrZeroS = 300.0
    lookback: DurationS = Field(default=36 * 3600.0, gt=0)
    state_max_hold: DurationS | None = Field(default=None, gt=0)
    unknown_time: Literal["loss", "excluded"] = "loss"
    targets: KpiTargets = Field(default_factory=KpiTargets)
    reason_required_after: DurationOrZeroS = 300.0


class Plant(ConfigModel):
    """Everything smkit needs to know about one site, as loaded from plant.yaml."""

    version: Literal[1] = 1
    site: Site
    sources: list[Source] = Field(default_factory=list)
    historian: HistorianSettings = Field(default_factory=lambda: SqliteSettings(kind="sqlite"))
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    calendars: dict[Identifier, Calendar] = Field(default_factory=dict)
    state_maps: dict[Identifier, StateMap] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=list)
    oee: OeeSettings = OeeSettings()
    api: ApiSettings = Field(default_factory=ApiSettings)
    collectors: list[CollectorSettings] = Field(default_factory=list)

    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _storage_defaults(cls, data: Any) -> Any:
        """Fill the storage defaults in before validation, so their paths are resolved too."""
        if isinstance(data, dict):
            data = {"historian": {"kind": "sqlite"}, "outbox": {}, "api": {}, **data}
        return data

    def machines(self) -> Iterator[tuple[MachinePlace, Machine]]:
        """Every machine with its place in the hierarchy, in file order."""
        for area in self.site.areas:
            for line in area.lines:
                place = MachinePlace(site=self.site.id, area=area.id, line=line.id)
                for machine in line.machines:
                    yield place, machine

    def address(self, machine_id: str, signal: str) -> str | None:
        """A signal's address with its placeholders filled in for that machine."""
        place, machine = next((p, m) for p, m in self.machines() if m.id == machine_id)
        found = next(s for s in machine.signals if s.name == signal)
        return found.address_for({**place.model_dump(), "machine": machine_id})

    def places(self) -> dict[str, MachinePlace]:
        """Machine id → its place; what the historian tags each sample with."""
        return {machine.id: place for place, machine in self.machines()}

    def for_collector(self, collector_id: str) -> Plant:
        """The plant as collector ``collector_id`` serves it: its sources only, its own outbox
        and MQTT client ids, and OEE records only if it is the one that computes them (see
        :mod:`smkit.plant.collectors`). An id no collector has: KeyError."""
        chosen = next((c for c in self.collectors if c.id == collector_id), None)
        if chosen is None:
            raise KeyError(collector_id)
        computes = chosen.oee or (chosen is self.collectors[0] and not any(
            c.oee for c in self.collectors))  # fmt: skip
        path = self.outbox.path
        return self.model_copy(update={
            "sources": [_own_client(s, collector_id) for s in self.sources
                        if s.id in chosen.sources],
            "outbox": self.outbox.model_copy(
                update={"path": path.with_name(f"{path.stem}.{collector_id}{path.suffix}")}),
            "oee": self.oee if computes else self.oee.model_copy(update={"every": 0.0}),
        })  # fmt: skip

    def outbox_paths(self) -> list[Path]:
        """Every outbox of the plant: one, or one per collector."""
        if not self.collectors:
            return [self.outbox.path]
        return [self.for_collector(c.id).outbox.path for c in self.collectors]

    def secret(self, env_name: str) -> str:
        """The value of a secret named in the file; the loader checked that it is set."""
        return self._secrets[env_name]

    def with_secrets(self, secrets: dict[str, str]) -> Plant:
        """Attach the secrets the loader read from the environment."""
        self._secrets = dict(secrets)
        return self


def _own_client(source: Source, collector_id: str) -> Source:
    """An MQTT source with a client id of the collector's own (a broker allows one session
    per id); other sources as they are."""
    if not isinstance(source, MqttSource):
        return source
    return source.model_copy(update={"client_id": f"{source.session_client_id}-{collector_id}"})
