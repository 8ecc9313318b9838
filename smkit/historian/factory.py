"""Build the historian a plant.yaml asks for."""

from __future__ import annotations

from smkit.historian.influx import InfluxHistorian
from smkit.historian.influx_http import InfluxAuth, InfluxHttp
from smkit.historian.protocol import Historian
from smkit.historian.sqlite import SqliteHistorian
from smkit.plant import storage
from smkit.plant.model import Plant


def open_historian(plant: Plant) -> Historian:
    """The plant's historian, not yet connected (connections open on first use)."""
    config = plant.historian
    if isinstance(config, storage.SqliteSettings):
        return SqliteHistorian(config.path)
    return open_influx(config, plant)


def open_influx(config: storage.InfluxSettings, plant: Plant) -> InfluxHistorian:
    """An InfluxDB historian with the plant's secrets and machine places."""
    auth = InfluxAuth(
        username=config.username,
        password=plant.secret(config.password_env) if config.password_env else None,
        token=plant.secret(config.token_env) if config.token_env else None,
    )
    http = InfluxHttp(
        config.url,
        config.database,
        retention_policy=config.retention_policy,
        auth=auth,
        timeout_s=config.timeout_s,
    )
    return InfluxHistorian(http, plant.places(), config.batch_lines, config.create_database)
