"""Sparkplug B 3.0 payload model: data types, metrics, payloads, and the schema's field numbers.

Written by hand rather than generated: the Python Sparkplug libraries pin paho-mqtt 1.x, and
generated protobuf code would need a protoc toolchain at build time for a schema of a few
messages. The codec covers what machines report: scalar metrics (integers, floats, booleans,
strings, bytes, date-times), aliases, timestamps, the null/historical/transient flags and scalar
metric properties (``engUnit``, ``Quality``). DataSets, Templates and arrays are skipped on
reading (their metric keeps ``value=None`` and ``unsupported=True``) and refused on writing.

Field numbers and types follow the Sparkplug 3.0 specification's ``sparkplug_b.proto``; the
tests check this codec against Google's protobuf runtime compiled from an independently written
copy of that schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

Scalar = int | float | bool | str | bytes | None

NAMESPACE = "spBv1.0"
BDSEQ = "bdSeq"
REBIRTH = "Node Control/Rebirth"


class DataType(IntEnum):
    """Sparkplug B metric data types (the scalar ones and the containers we recognise)."""

    UNKNOWN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14
    UUID = 15
    DATASET = 16
    BYTES = 17
    FILE = 18
    TEMPLATE = 19


SIGNED_BITS = {DataType.INT8: 8, DataType.INT16: 16, DataType.INT32: 32, DataType.INT64: 64}
INT_FIELD = {DataType.INT8, DataType.INT16, DataType.INT32, DataType.UINT8, DataType.UINT16}
INT_FIELD |= {DataType.UINT32}
LONG_FIELD = {DataType.INT64, DataType.UINT64, DataType.DATETIME}
TEXT_FIELD = {DataType.STRING, DataType.TEXT, DataType.UUID}
BYTES_FIELD = {DataType.BYTES, DataType.FILE}

# Metric fields (Payload.Metric in the schema).
M_NAME, M_ALIAS, M_TIMESTAMP, M_DATATYPE = 1, 2, 3, 4
M_HISTORICAL, M_TRANSIENT, M_NULL, M_PROPERTIES = 5, 6, 7, 9
M_INT, M_LONG, M_FLOAT, M_DOUBLE, M_BOOL, M_STRING, M_BYTES = 10, 11, 12, 13, 14, 15, 16
M_CONTAINERS = {17, 18, 19}  # DataSet, Template, extension: recognised, not decoded
# PropertyValue fields.
P_TYPE, P_NULL, P_INT, P_LONG, P_FLOAT, P_DOUBLE, P_BOOL, P_STRING = range(1, 9)
VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of a payload. ``value`` is already interpreted through ``datatype``."""

    name: str | None = None
    alias: int | None = None
    timestamp: int | None = None
    datatype: DataType | None = None
    value: Scalar = None
    is_null: bool = False
    is_historical: bool = False
    is_transient: bool = False
    properties: dict[str, Scalar] = field(default_factory=dict)
    unsupported: bool = False
    send_datatype: bool = field(default=True, compare=False)
    """False writes the value by ``datatype`` without declaring it, as DATA messages should."""


@dataclass(frozen=True, slots=True)
class Payload:
    """A Sparkplug B payload: a timestamp (ms since the epoch, UTC), metrics and a sequence."""

    timestamp: int | None = None
    metrics: list[Metric] = field(default_factory=list)
    seq: int | None = None
    uuid: str | None = None
    body: bytes | None = None
