"""The ``kind: mqtt`` source block of plant.yaml: broker, session, and what each topic carries
(the MQTT connector in smkit/connectors/mqtt/ reads it).

Defaults suit collecting without loss: MQTT 5, QoS 1 and a persistent session, so the broker
keeps what arrives while the collector is down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from smkit.plant.base import ConfigModel, DurationOrZeroS, DurationS, Identifier
from smkit.plant.machine import ADDRESS_FIELDS, PLACEHOLDER
from smkit.plant.storage import resolve_path

TOPIC_FIELDS = (*ADDRESS_FIELDS, "signal")


class Tls(ConfigModel):
    """TLS for ``mqtts://``: the CA to trust, an optional client certificate, verification."""

    ca: Path | None = None
    certificate: Path | None = None
    private_key: Path | None = None
    verify: bool = True

    _paths = field_validator("ca", "certificate", "private_key")(resolve_path)


class Session(ConfigModel):
    """A persistent session keeps QoS 1 messages at the broker while the collector is away."""

    persistent: bool = True
    expiry: DurationS = 3600.0


class JsonPaths(ConfigModel):
    """Where the parts of a JSON payload are: dotted paths such as ``data.temp`` or ``$.v``.

    ``value`` takes one value for the topic's signal; ``values`` takes an object of
    ``signal: value`` (a per-machine document; ``$`` for a flat document whose values sit at the
    top level beside the timestamp, which is then not read as a signal, nor is the quality or
    any key listed in ``ignore``). ``timestamp`` is read in ``timestamp_format``; without it,
    the time of arrival is used.
    """

    value: str | None = None
    values: str | None = None
    timestamp: str | None = None
    timestamp_format: Literal["unix_s", "unix_ms", "unix_ns", "iso8601"] = "unix_ms"
    quality: str | None = None
    ignore: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of value (one signal) or values (a document)")
        return self


class SparkplugOptions(ConfigModel):
    """How smkit acts as a Sparkplug B host for a subscription.

    By default it is a read-only (secondary) host: it never sends commands. With
    ``request_rebirth`` it asks an edge node for its births again (an NCMD) when its state cannot
    be trusted: DATA before a birth, an unknown alias, or a ``seq`` number still missing after
    ``reorder_timeout``. With ``primary_host_id`` it is the primary host application of that id:
    it keeps its STATE on the broker, so that edge nodes configured to wait for that host
    publish while it is online and store what they observe while it is not.
    """

    request_rebirth: bool = False
    reorder_timeout: DurationOrZeroS = 2.0
    primary_host_id: Identifier | None = None


class Subscription(ConfigModel):
    """Topics of one shape and how their payloads are read.

    ``topic`` is a template: ``{site}/{area}/{line}/{machine}/{signal}`` or any of those
    placeholders, plus MQTT wildcards ``+`` and ``#``. A topic without ``{signal}`` carries a
    document (``json.values``). A Sparkplug B template is ``spBv1.0/<group>/+/<node>/<device>``
    (or without ``<device>`` when the edge node is the machine); its metrics are named like the
    signals.
    """

    topic: str
    parser: Literal["value", "json", "sparkplug_b"] = "json"
    json_paths: JsonPaths | None = Field(default=None, alias="json")
    sparkplug: SparkplugOptions = SparkplugOptions()

    @field_validator("topic")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        for name in PLACEHOLDER.findall(value):
            if name not in TOPIC_FIELDS:
                allowed = ", ".join("{" + f + "}" for f in TOPIC_FIELDS)
                raise ValueError(
                    f"unknown placeholder {{{name}}} in {value!r} (allowed: {allowed})"
                )
        return value

    @model_validator(mode="after")
    def _parser_needs(self) -> Self:
        if self.parser == "json" and self.json_paths is None:
            raise ValueError("parser json needs json: {value: ..., timestamp: ...}")
        if self.parser == "value" and "{signal}" not in self.topic:
            raise ValueError("parser value needs {signal} in the topic: the payload is one value")
        if "{machine}" not in self.topic:
            raise ValueError("the topic needs {machine}: it says which machine a message is from")
        if self.parser == "sparkplug_b":
            _sparkplug_template(self.topic)
        return self


class MqttSource(ConfigModel):
    """An MQTT broker that machines (or their gateways) publish to."""

    kind: Literal["mqtt"]
    id: Identifier
    url: str
    protocol: Literal["5", "3.1.1"] = "5"
    client_id: str | None = None
    username: str | None = None
    password_env: str | None = None
    tls: Tls | None = None
    qos: Literal[0, 1] = 1
    session: Session = Session()
    shared_group: Identifier | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"must be a URL mqtt://host:port or mqtts://host:port, got {value!r}")
        return value

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _sparkplug_rules(self) -> Self:
        sparkplug = [s for s in self.subscriptions if s.parser == "sparkplug_b"]
        if sparkplug and self.shared_group is not None:
            raise ValueError(
                "shared_group cannot be used with parser sparkplug_b: one host must see every "
                "message of an edge node to follow its births and seq numbers"
            )
        hosts = {s.sparkplug.primary_host_id for s in sparkplug} - {None}
        if len(hosts) > 1:
            raise ValueError(
                f"one connection is one host: its sparkplug subscriptions name primary_host_id "
                f"{' and '.join(sorted(map(repr, hosts)))}; give them one, or use two sources"
            )
        return self

    @property
    def primary_host_id(self) -> str | None:
        """The primary host id its Sparkplug subscriptions name, if any."""
        named = (
            s.sparkplug.primary_host_id for s in self.subscriptions if s.parser == "sparkplug_b"
        )
        return next((host for host in named if host is not None), None)

    @model_validator(mode="before")
    @classmethod
    def _sparkplug_session(cls, data: object) -> object:
        """Sparkplug clients use clean sessions (the specification), unless told otherwise."""
        if isinstance(data, dict) and "session" not in data:
            subscriptions = data.get("subscriptions")
            if (
                isinstance(subscriptions, list)
                and subscriptions
                and all(
                    isinstance(s, dict) and s.get("parser") == "sparkplug_b" for s in subscriptions
                )
            ):
                return {**data, "session": {"persistent": False}}
        return data

    @property
    def session_client_id(self) -> str:
        """The client id: given, else one derived from the source id (fixed, for sessions)."""
        return self.client_id or f"smkit-{self.id}"


def _sparkplug_template(topic: str) -> None:
    levels = topic.split("/")
    if levels[0] != "spBv1.0" or len(levels) not in (4, 5) or levels[2] != "+":
        raise ValueError(
            f"a sparkplug_b topic is spBv1.0/<group>/+/<edge node>[/<device>], got {topic!r}"
        )
    if "{machine}" not in levels[-1] or any(c in level for level in levels for c in "#"):
        raise ValueError(
            "in a sparkplug_b topic {machine} is the last level (the device, or the edge node "
            "when there are no devices) and # is not allowed"
        )
