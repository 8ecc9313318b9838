"""Sparkplug B 3.0: payload codec (protobuf wire format) and topic names."""

from smkit.protocols.sparkplug.decode import decode, interpret
from smkit.protocols.sparkplug.encode import encode
from smkit.protocols.sparkplug.model import (
    BDSEQ,
    NAMESPACE,
    REBIRTH,
    DataType,
    Metric,
    Payload,
    Scalar,
)

__all__ = [
    "BDSEQ",
    "NAMESPACE",
    "REBIRTH",
    "DataType",
    "Metric",
    "Payload",
    "Scalar",
    "decode",
    "encode",
    "interpret",
]
