"""Writing Sparkplug B payloads in protobuf wire format."""

from __future__ import annotations

import struct

from smkit.protocols.sparkplug import model as schema
from smkit.protocols.sparkplug.model import DataType, Metric, Payload, Scalar


def encode(payload: Payload) -> bytes:
    """The payload in protobuf wire format."""
    out = bytearray()
    if payload.timestamp is not None:
        _tag_varint(out, 1, payload.timestamp)
    for metric in payload.metrics:
        _tag_bytes(out, 2, _encode_metric(metric))
    if payload.seq is not None:
        _tag_varint(out, 3, payload.seq)
    if payload.uuid is not None:
        _tag_bytes(out, 4, payload.uuid.encode())
    if payload.body is not None:
        _tag_bytes(out, 5, payload.body)
    return bytes(out)


def _encode_metric(metric: Metric) -> bytes:
    out = bytearray()
    if metric.name is not None:
        _tag_bytes(out, schema.M_NAME, metric.name.encode())
    if metric.alias is not None:
        _tag_varint(out, schema.M_ALIAS, metric.alias)
    if metric.timestamp is not None:
        _tag_varint(out, schema.M_TIMESTAMP, metric.timestamp)
    if metric.datatype is not None and metric.send_datatype:
        _tag_varint(out, schema.M_DATATYPE, metric.datatype)
    for number, flag in (
        (schema.M_HISTORICAL, metric.is_historical),
        (schema.M_TRANSIENT, metric.is_transient),
        (schema.M_NULL, metric.is_null),
    ):
        if flag:
            _tag_varint(out, number, 1)
    if metric.properties:
        _tag_bytes(out, schema.M_PROPERTIES, _encode_properties(metric.properties))
    if not metric.is_null and metric.value is not None:
        if metric.datatype is None:
            raise ValueError(f"metric {metric.name!r} has a value but no datatype")
        _encode_value(out, metric.datatype, metric.value, _METRIC_VALUE_FIELDS)
    return bytes(out)


_METRIC_VALUE_FIELDS = (
    schema.M_INT,
    schema.M_LONG,
    schema.M_FLOAT,
    schema.M_DOUBLE,
    schema.M_BOOL,
    schema.M_STRING,
    schema.M_BYTES,
)
_PROPERTY_VALUE_FIELDS = (
    schema.P_INT,
    schema.P_LONG,
    schema.P_FLOAT,
    schema.P_DOUBLE,
    schema.P_BOOL,
    schema.P_STRING,
    0,
)


def _encode_value(
    out: bytearray, datatype: DataType, value: Scalar, fields: tuple[int, ...]
) -> None:
    """Write ``value`` into the value field its datatype uses (metric or property numbering)."""
    int_f, long_f, float_f, double_f, bool_f, string_f, bytes_f = fields
    if datatype in schema.INT_FIELD and isinstance(value, int):
        _tag_varint(out, int_f, value & 0xFFFFFFFF)
    elif datatype in schema.LONG_FIELD and isinstance(value, int):
        _tag_varint(out, long_f, value & 0xFFFFFFFFFFFFFFFF)
    elif datatype is DataType.FLOAT and isinstance(value, int | float):
        out += _key(float_f, schema.FIXED32) + struct.pack("<f", value)
    elif datatype is DataType.DOUBLE and isinstance(value, int | float):
        out += _key(double_f, schema.FIXED64) + struct.pack("<d", value)
    elif datatype is DataType.BOOLEAN and isinstance(value, bool):
        _tag_varint(out, bool_f, int(value))
    elif datatype in schema.TEXT_FIELD and isinstance(value, str):
        _tag_bytes(out, string_f, value.encode())
    elif datatype in schema.BYTES_FIELD and isinstance(value, bytes) and bytes_f:
        _tag_bytes(out, bytes_f, value)
    else:
        raise ValueError(f"cannot write {value!r} as Sparkplug {datatype.name}")


def _encode_properties(properties: dict[str, Scalar]) -> bytes:
    out = bytearray()
    for key in properties:
        _tag_bytes(out, 1, key.encode())
    for value in properties.values():
        item = bytearray()
        datatype = _property_type(value)
        _tag_varint(item, schema.P_TYPE, datatype)
        if value is None:
            _tag_varint(item, schema.P_NULL, 1)
        else:
            _encode_value(item, datatype, value, _PROPERTY_VALUE_FIELDS)
        _tag_bytes(out, 2, bytes(item))
    return bytes(out)


def _property_type(value: Scalar) -> DataType:
    if isinstance(value, bool):
        return DataType.BOOLEAN
    if isinstance(value, int):
        return DataType.INT32 if -(2**31) <= value < 2**31 else DataType.INT64
    if isinstance(value, float):
        return DataType.DOUBLE
    return DataType.STRING


def _key(number: int, wire_type: int) -> bytes:
    return _varint((number << 3) | wire_type)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag_varint(out: bytearray, number: int, value: int) -> None:
    out += _key(number, schema.VARINT)
    out += _varint(value)


def _tag_bytes(out: bytearray, number: int, data: bytes) -> None:
    out += _key(number, schema.LENGTH)
    out += _varint(len(data))
    out += data
