"""Why an MQTT connection failed, said so that the fix is clear."""

from __future__ import annotations

import ssl
from typing import Any

from smkit.plant.mqtt import MqttSource


def explain_connect_error(source: MqttSource, error: OSError) -> str:
    """What went wrong opening the connection, said so that the fix is clear."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"TLS: the certificate of {source.url} is not trusted ({error.verify_message}); "
            "give tls.ca, the CA file that signed it (or tls.verify: false to test only)"
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS with {source.url} failed: {error.reason or error}"
    return f"cannot reach the MQTT broker at {source.url}: {error.strerror or error}"


def explain_refusal(source: MqttSource, reason: Any) -> str:
    """The broker's refusal (CONNACK), with the configuration it points at."""
    text = f"the MQTT broker at {source.url} refused us: {reason}"
    if str(reason) in ("Bad user name or password", "Not authorized"):
        who = f"user {source.username!r}" if source.username else "no user name"
        secret = f", password from ${source.password_env}" if source.password_env else ""
        text += f" ({who}{secret})"
    return text
