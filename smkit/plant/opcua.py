"""The ``kind: opcua`` source block of plant.yaml: endpoint, security, subscription or polling
(the OPC UA connector in smkit/connectors/opcua/ reads it).

Every option has the default a pilot factory wants on Monday: no security (most PLCs on a cell
network start that way), a subscription with a 500 ms publishing interval and a queue deep enough
that fast counters lose no change, and the machine's own source timestamps.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from smkit.plant.base import ConfigModel, DurationS, Identifier, parse_duration_s
from smkit.plant.storage import resolve_path


class SecurityPolicy(StrEnum):
    """The OPC UA security policies smkit offers (the ones asyncua implements and still trusts)."""

    NONE = "None"
    BASIC256SHA256 = "Basic256Sha256"
    AES128_SHA256_RSAOAEP = "Aes128Sha256RsaOaep"
    AES256_SHA256_RSAPSS = "Aes256Sha256RsaPss"


class SecurityMode(StrEnum):
    """Message security: none, signed, or signed and encrypted."""

    NONE = "None"
    SIGN = "Sign"
    SIGN_AND_ENCRYPT = "SignAndEncrypt"


class Deadband(ConfigModel):
    """Report a change only when it exceeds this, in units (absolute) or % of EURange (percent)."""

    kind: Literal["absolute", "percent"]
    value: float = Field(ge=0)


class Subscription(ConfigModel):
    """How the server reports changes. ``sampling_interval: 0`` asks for the fastest it has."""

    publishing_interval: DurationS = 0.5
    sampling_interval: float = Field(default=0.0, ge=0)
    queue_size: int = Field(default=100, ge=1)
    deadband: Deadband | None = None

    @field_validator("sampling_interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return 0.0 if value in (0, "0", "0s") else parse_duration_s(value)


class OpcUaSource(ConfigModel):
    """An OPC UA server (PLC, CNC controller, gateway) that machines are read from."""

    kind: Literal["opcua"]
    id: Identifier
    endpoint: str
    security_policy: SecurityPolicy = SecurityPolicy.NONE
    security_mode: SecurityMode = SecurityMode.NONE
    pki_dir: Path = Field(default=Path("pki"), validate_default=True)
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None
    application_uri: str = "urn:smkit:collector"
    auth: Literal["anonymous", "username", "certificate"] | None = None
    username: str | None = None
    password_env: str | None = None
    user_certificate: Path | None = None
    user_private_key: Path | None = None
    mode: Literal["subscribe", "poll"] = "subscribe"
    subscription: Subscription = Subscription()
    poll_interval: DurationS = 1.0
    timestamp: Literal["source", "server", "receive"] = "source"
    connect_timeout: DurationS = 10.0
    request_timeout: DurationS = 5.0
    max_nodes_per_call: int | None = Field(default=None, ge=1)
    history_backfill: bool = True
    """After a gap (the collector restarted, the session lost), read what changed meanwhile
    from the server's history, for nodes it keeps history of."""
    history_overlap: DurationS = 60.0
    """How far before the newest value stored history is read again: more than the clocks of
    the server's nodes differ and a publish may be late."""

    _paths = field_validator(
        "pki_dir",
        "certificate",
        "private_key",
        "server_certificate",
        "user_certificate",
        "user_private_key",
    )(resolve_path)

    @field_validator("endpoint")
    @classmethod
    def _endpoint_scheme(cls, value: str) -> str:
        if urlsplit(value).scheme != "opc.tcp" or not urlsplit(value).hostname:
            raise ValueError(f"must be a URL opc.tcp://host:port, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.security_policy is SecurityPolicy.NONE) != (
            self.security_mode is SecurityMode.NONE
        ):
            raise ValueError(
                "security_policy and security_mode go together: both None, or a policy "
                f"with Sign or SignAndEncrypt (got {self.security_policy}, {self.security_mode})"
            )
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("certificate and private_key go together")
        auth = self.identity
        if auth == "username" and (self.username is None or self.password_env is None):
            raise ValueError("auth: username needs username and password_env")
        if auth == "certificate" and (
            self.user_certificate is None or self.user_private_key is None
        ):
            raise ValueError("auth: certificate needs user_certificate and user_private_key")
        return self

    @property
    def identity(self) -> str:
        """How the collector identifies itself: the ``auth`` given, else by what is set."""
        if self.auth is not None:
            return self.auth
        return "username" if self.username is not None else "anonymous"

    @property
    def client_certificate(self) -> tuple[Path, Path]:
        """The collector's certificate and key: as given, else made on first use in ``pki_dir``."""
        if self.certificate is not None and self.private_key is not None:
            return self.certificate, self.private_key
        return self.pki_dir / f"{self.id}-cert.der", self.pki_dir / f"{self.id}-key.pem"

    @property
    def secure(self) -> bool:
        """Whether messages are signed (and maybe encrypted)."""
        return self.security_mode is not SecurityMode.NONE
