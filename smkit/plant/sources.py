"""Connection blocks for data sources; each connector defines its own (OPC UA in its folder)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from smkit.plant.base import ConfigModel, Identifier
from smkit.plant.opcua import OpcUaSource


def _check_scheme(url: str, allowed: tuple[str, ...]) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in allowed or not urlsplit(url).hostname:
        raise ValueError(
            f"must be a URL {' or '.join(s + '://host:port' for s in allowed)}, got {url!r}"
        )
    return url


class MqttSource(ConfigModel):
    """An MQTT broker that machines (or their gateways) publish to."""

    kind: Literal["mqtt"]
    id: Identifier
    url: str
    username: str | None = None
    password_env: str | None = None

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        return _check_scheme(value, ("mqtt", "mqtts"))


Source = Annotated[OpcUaSource | MqttSource, Field(discriminator="kind")]
