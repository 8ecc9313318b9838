"""Time-series storage: one protocol, an SQLite backend (default) and an InfluxDB backend, and the
durable outbox that feeds them."""

from smkit.historian.factory import open_historian
from smkit.historian.influx import InfluxHistorian
from smkit.historian.protocol import Health, Historian, Record
from smkit.historian.sqlite import SqliteHistorian

__all__ = ["Health", "Historian", "InfluxHistorian", "Record", "SqliteHistorian", "open_historian"]
