"""From a source's ``kind`` in plant.yaml to the factory that builds its connector.

Factories are named by module path and imported when a plant uses them, so a plant that reads
only MQTT never loads asyncua. Adding a protocol adds one line here (and its source model in
:mod:`smkit.plant.sources`).
"""

from __future__ import annotations

import importlib
from typing import cast

from smkit.connectors.contract import Connector, ConnectorContext, ConnectorFactory
from smkit.plant.sources import Source

FACTORIES = {
    "opcua": "smkit.connectors.opcua.connector:build",
    "mqtt": "smkit.connectors.mqtt.connector:build",
    "file": "smkit.connectors.file.connector:build",
}
"""``kind`` → ``module:function`` of its :data:`~smkit.connectors.contract.ConnectorFactory`."""


def factory_for(kind: str) -> ConnectorFactory:
    """The factory of a source kind (every kind plant.yaml accepts has one)."""
    module, name = FACTORIES[kind].split(":")
    return cast(ConnectorFactory, getattr(importlib.import_module(module), name))


def build_connector(source: Source, context: ConnectorContext) -> Connector:
    """The connector of one source of the plant."""
    return factory_for(source.kind)(source, context)
