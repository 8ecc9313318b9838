"""The source blocks of plant.yaml: one model per kind, told apart by ``kind``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from smkit.plant.files import FileSource
from smkit.plant.mqtt import MqttSource
from smkit.plant.opcua import OpcUaSource

__all__ = ["FileSource", "MqttSource", "OpcUaSource", "Source"]


Source = Annotated[OpcUaSource | MqttSource | FileSource, Field(discriminator="kind")]
