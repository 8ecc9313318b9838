"""Options of the simulated OPC UA server, kept apart so the CLI can check them without asyncua."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SECURITY_MODE_NAMES = ("none", "sign", "sign-encrypt")
"""No security, Basic256Sha256 Sign, Basic256Sha256 SignAndEncrypt."""


@dataclass(frozen=True)
class OpcUaOptions:
    """How the server is reached: endpoint, security modes, who may log in, whom to trust."""

    endpoint: str = "opc.tcp://127.0.0.1:4840"
    security: tuple[str, ...] = ("none",)
    users: Mapping[str, str] = field(default_factory=dict)
    anonymous: bool = True
    pki_dir: Path | None = None
    trusted_clients: Path | None = None
