"""Reading Sparkplug B payloads from protobuf wire format, refusing malformed input clearly.

Data messages usually omit each metric's datatype (the birth certificate declares it), so a
metric decoded without one keeps the raw field value; :func:`interpret` applies the birth's
datatype later. Interpreting twice gives the same value.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from smkit.errors import PayloadError
from smkit.protocols.sparkplug import model as schema
from smkit.protocols.sparkplug.model import DataType, Metric, Payload, Scalar

Field = tuple[int, int, int | bytes]
MAX_FIELD_NUMBER = 2**29 - 1

_VALUE_KINDS = {
    schema.M_INT: schema.VARINT,
    schema.M_LONG: schema.VARINT,
    schema.M_FLOAT: schema.FIXED32,
    schema.M_DOUBLE: schema.FIXED64,
    schema.M_BOOL: schema.VARINT,
    schema.M_STRING: schema.LENGTH,
    schema.M_BYTES: schema.LENGTH,
}
_PROPERTY_VALUE_FIELDS = {
    schema.P_INT: schema.M_INT,
    schema.P_LONG: schema.M_LONG,
    schema.P_FLOAT: schema.M_FLOAT,
    schema.P_DOUBLE: schema.M_DOUBLE,
}
_PROPERTY_VALUE_FIELDS |= {schema.P_BOOL: schema.M_BOOL, schema.P_STRING: schema.M_STRING}


def decode(data: bytes) -> Payload:
    """A payload from its wire format; :class:`PayloadError` says what is wrong with it."""
    timestamp = seq = None
    uuid: str | None = None
    body: bytes | None = None
    metrics: list[Metric] = []
    for number, wire, value in _fields(data, "payload"):
        if number == 1:
            timestamp = _int(value, wire, "payload timestamp")
        elif number == 2:
            metrics.append(_metric(_bytes(value, wire, "metric"), len(metrics)))
        elif number == 3:
            seq = _int(value, wire, "payload seq")
        elif number == 4:
            uuid = _text(value, wire, "payload uuid")
        elif number == 5:
            body = _bytes(value, wire, "payload body")
    return Payload(timestamp, metrics, seq, uuid, body)


def interpret(value: Scalar, datatype: DataType | None) -> Scalar:
    """A raw field value read as ``datatype`` (two's complement for the signed integers)."""
    bits = schema.SIGNED_BITS.get(datatype) if datatype is not None else None
    if bits is None or not isinstance(value, int) or isinstance(value, bool):
        return value
    return signed(value, bits)


def signed(value: int, bits: int) -> int:
    """An integer field read as two's complement of ``bits`` bits."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _metric(data: bytes, index: int) -> Metric:
    where = f"metric {index}"
    name = alias = timestamp = None
    datatype: DataType | None = None
    flags = {schema.M_HISTORICAL: False, schema.M_TRANSIENT: False, schema.M_NULL: False}
    properties: dict[str, Scalar] = {}
    value: Scalar = None
    unsupported = False
    for number, wire, raw in _fields(data, where):
        if number == schema.M_NAME:
            name = _text(raw, wire, f"{where} name")
        elif number == schema.M_ALIAS:
            alias = _int(raw, wire, f"{where} alias")
        elif number == schema.M_TIMESTAMP:
            timestamp = _int(raw, wire, f"{where} timestamp")
        elif number == schema.M_DATATYPE:
            datatype = _datatype(_int(raw, wire, f"{where} datatype"))
        elif number in flags:
            flags[number] = bool(_int(raw, wire, f"{where} flag {number}"))
        elif number == schema.M_PROPERTIES:
            properties = _properties(_bytes(raw, wire, f"{where} properties"), where)
        elif number in _VALUE_KINDS:
            value = _value(number, wire, raw, where)
        elif number in schema.M_CONTAINERS:
            unsupported = True
    if flags[schema.M_NULL]:
        value = None
    return Metric(
        name,
        alias,
        timestamp,
        datatype,
        interpret(value, datatype),
        flags[schema.M_NULL],
        flags[schema.M_HISTORICAL],
        flags[schema.M_TRANSIENT],
        properties,
        unsupported,
    )


def _value(number: int, wire: int, raw: int | bytes, where: str) -> Scalar:
    if wire != _VALUE_KINDS[number]:
        raise PayloadError(f"{where}: value field {number} has wire type {wire}")
    if number == schema.M_FLOAT:
        return float(struct.unpack("<f", _bytes(raw, wire, where))[0])
    if number == schema.M_DOUBLE:
        return float(struct.unpack("<d", _bytes(raw, wire, where))[0])
    if number == schema.M_BOOL:
        return bool(raw)
    if number == schema.M_STRING:
        return _text(raw, wire, f"{where} string value")
    return raw


def _properties(data: bytes, where: str) -> dict[str, Scalar]:
    keys: list[str] = []
    values: list[Scalar] = []
    for number, wire, raw in _fields(data, f"{where} properties"):
        if number == 1:
            keys.append(_text(raw, wire, f"{where} property key"))
        elif number == 2:
            values.append(_property_value(_bytes(raw, wire, f"{where} property"), where))
    if len(keys) != len(values):
        raise PayloadError(f"{where}: {len(keys)} property keys but {len(values)} values")
    return dict(zip(keys, values, strict=True))


def _property_value(data: bytes, where: str) -> Scalar:
    datatype: DataType | None = None
    value: Scalar = None
    for number, wire, raw in _fields(data, f"{where} property"):
        if number == schema.P_TYPE:
            datatype = _datatype(_int(raw, wire, f"{where} property type"))
        elif number == schema.P_NULL and raw:
            return None
        elif number in _PROPERTY_VALUE_FIELDS:
            value = _value(_PROPERTY_VALUE_FIELDS[number], wire, raw, f"{where} property")
    return interpret(value, datatype)


def _datatype(code: int) -> DataType | None:
    """A known datatype, or None for the ones this codec does not interpret (arrays, ...)."""
    try:
        return DataType(code)
    except ValueError:
        return None


def _fields(data: bytes, where: str) -> Iterator[Field]:
    """The (field number, wire type, value) triples of one message, in order."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos, where)
        number, wire = key >> 3, key & 7
        if not 0 < number <= MAX_FIELD_NUMBER or key >> 32:
            raise PayloadError(f"{where}: field number {number} out of range at byte {pos}")
        value: int | bytes
        if wire == schema.VARINT:
            value, pos = _varint(data, pos, where)
            yield number, wire, value
            continue
        if wire == schema.LENGTH:
            size, pos = _varint(data, pos, where)
        elif wire in (schema.FIXED64, schema.FIXED32):
            size = 8 if wire == schema.FIXED64 else 4
        else:
            raise PayloadError(f"{where}: unsupported wire type {wire} at byte {pos}")
        if pos + size > end:
            raise PayloadError(f"{where}: field {number} runs past the end of the data")
        yield number, wire, data[pos : pos + size]
        pos += size


def _varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    result = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise PayloadError(f"{where}: varint longer than 10 bytes")
    raise PayloadError(f"{where}: data ends inside a varint")


def _int(raw: int | bytes, wire: int, what: str) -> int:
    if wire != schema.VARINT or not isinstance(raw, int):
        raise PayloadError(f"{what} must be a varint, got wire type {wire}")
    return raw


def _bytes(raw: int | bytes, wire: int, what: str) -> bytes:
    if not isinstance(raw, bytes):
        raise PayloadError(f"{what} must be length-delimited, got wire type {wire}")
    return raw


def _text(raw: int | bytes, wire: int, what: str) -> str:
    try:
        return _bytes(raw, wire, what).decode()
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{what} is not UTF-8: {exc.reason} at byte {exc.start}") from None
