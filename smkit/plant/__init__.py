"""The plant model (plant.yaml): site → areas → lines → machines, signals, calendars, storage."""

from smkit.plant.calendar import Break, Calendar, PlannedDowntime, Shift, Weekday
from smkit.plant.loader import load_plant, parse_plant
from smkit.plant.machine import (
    Counter,
    FlagsStateMap,
    Machine,
    Product,
    Reason,
    Signal,
    SignalRole,
    StateCategory,
    ValueStateMap,
)
from smkit.plant.model import Area, Line, MachinePlace, Plant, Site
from smkit.plant.opcua import OpcUaSource
from smkit.plant.sources import MqttSource
from smkit.plant.storage import InfluxSettings, OutboxSettings, SqliteSettings

__all__ = [
    "Area",
    "Break",
    "Calendar",
    "Counter",
    "FlagsStateMap",
    "InfluxSettings",
    "Line",
    "Machine",
    "MachinePlace",
    "MqttSource",
    "OpcUaSource",
    "OutboxSettings",
    "PlannedDowntime",
    "Plant",
    "Product",
    "Reason",
    "Shift",
    "Signal",
    "SignalRole",
    "Site",
    "SqliteSettings",
    "StateCategory",
    "ValueStateMap",
    "Weekday",
    "load_plant",
    "parse_plant",
]
