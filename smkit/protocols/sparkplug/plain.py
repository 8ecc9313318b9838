"""A fast reader for the payloads that make up nearly all Sparkplug B traffic: plain DATA.

An edge node's DATA message is a timestamp, a sequence number and a few metrics, each an alias
(or a name), a timestamp and one scalar value. :func:`read_plain` reads exactly that shape in
one pass, into plain tuples, about five times faster than :func:`~.decode.decode`, which builds a
:class:`~.model.Metric` for every metric and checks each field by a function call (measured by
``benchmarks/mqtt_ingest.py``, where the codec was the largest cost of a Sparkplug message).

Everything else (properties, the historical and transient flags, bytes, DataSets, a uuid, a
field this reader does not know, and every malformed payload) makes it return None: the caller
then uses :func:`~.decode.decode`, which reads the rest and says what is wrong. So the two never
disagree on a payload both accept, and errors have one source (the tests hold them to that).

Written by hand, not with Google's protobuf runtime: upb parses a payload in about a microsecond,
but reading the fields back through its Python objects costs more than this whole reader.
"""

from __future__ import annotations

import struct
from typing import Any

from smkit.protocols.sparkplug.model import DataType

PlainScalar = int | float | bool | str | None
"""A plain metric's value (bytes are not plain)."""
PlainMetric = tuple[str | None, int | None, int | None, DataType | None, PlainScalar, bool]
"""(name, alias, timestamp in ms, datatype, raw value, is_null) of one metric. The value is
the field as sent: signed integers are read through the datatype later, as with
:func:`~.decode.interpret`."""
PlainPayload = tuple[int | None, int | None, list[PlainMetric]]
"""(timestamp in ms, seq, metrics) of a plain payload."""

_DOUBLE = struct.Struct("<d").unpack_from
_FLOAT = struct.Struct("<f").unpack_from
_DATATYPES = tuple(DataType)
"""``DataType`` by code (0 to 19, each in use); a code past them is left to the full decoder."""

# Field keys (field number << 3 | wire type) a plain payload may hold.
_P_TIMESTAMP, _P_METRIC, _P_SEQ = 0x08, 0x12, 0x18
_M_NAME, _M_ALIAS, _M_TIMESTAMP, _M_DATATYPE, _M_NULL = 0x0A, 0x10, 0x18, 0x20, 0x38
_M_INT, _M_LONG, _M_BOOL = 0x50, 0x58, 0x70
_M_FLOAT, _M_DOUBLE, _M_STRING = 0x65, 0x69, 0x7A


class _NotPlain(Exception):
    """Raised inside the reader for a field it leaves to the full decoder."""


def read_plain(data: bytes) -> PlainPayload | None:
    """The payload as plain tuples, or None if it is not plain (use the full decoder)."""
    try:
        return _read(data)
    except (_NotPlain, IndexError, UnicodeDecodeError, struct.error):
        return None


def _read(data: bytes) -> PlainPayload:
    pos, end = 0, len(data)
    timestamp = seq = None
    metrics: list[PlainMetric] = []
    seen: list[Any] = [b"\x00", 0]
    while pos < end:
        key = data[pos]
        if key == _P_METRIC:
            size, pos = _varint(data, pos + 1)
            metrics.append(_metric(data, pos, pos + size, seen))
            pos += size
        elif key == _P_TIMESTAMP:
            start = pos + 1
            timestamp, pos = _varint(data, start)
            seen[:] = data[start:pos], timestamp
        elif key == _P_SEQ:
            seq, pos = _varint(data, pos + 1)
        else:
            raise _NotPlain
    if pos != end:
        raise _NotPlain
    return timestamp, seq, metrics


def _metric(  # noqa: PLR0912 - one dispatch over the fields
    data: bytes, pos: int, end: int, seen: list[Any]
) -> PlainMetric:
    """One metric from ``data[pos:end]`` (``seen``: see :func:`_long_varint`)."""
    if end > len(data):
        raise _NotPlain
    name = alias = timestamp = None
    datatype: DataType | None = None
    value: PlainScalar = None
    is_null = False
    while pos < end:
        key = data[pos]
        pos += 1
        if key == _M_DOUBLE:
            value = _DOUBLE(data, pos)[0]
            pos += 8
        elif key == _M_FLOAT:
            value = float(_FLOAT(data, pos)[0])
            pos += 4
        elif key in (_M_NAME, _M_STRING):
            text, pos = _text(data, pos, end)
            if key == _M_NAME:
                name = text
            else:
                value = text
        else:
            number = data[pos]
            if number < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:
                number = number & 0x7F | data[pos + 1] << 7
                pos += 2
            else:
                number, pos = _long_varint(data, pos, seen)
            if key == _M_ALIAS:
                alias = number
            elif key == _M_TIMESTAMP:
                timestamp = number
            elif key in (_M_INT, _M_LONG):
                value = number
            elif key == _M_BOOL:
                value = bool(number)
            elif key == _M_DATATYPE:
                datatype = _DATATYPES[number]
            elif key == _M_NULL:
                is_null = bool(number)
            else:
                raise _NotPlain
    if pos != end or (value is None and not is_null):
        raise _NotPlain  # no value and no null flag: the full decoder's reading of it holds
    return name, alias, timestamp, datatype, None if is_null else value, is_null


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    byte = data[pos]
    return (byte, pos + 1) if byte < 0x80 else _varint_rest(data, pos + 1, byte)


def _text(data: bytes, pos: int, end: int) -> tuple[str, int]:
    """A length-delimited UTF-8 string that ends by ``end``, and the position after it."""
    size, pos = _varint(data, pos)
    if pos + size > end:
        raise _NotPlain
    return data[pos : pos + size].decode(), pos + size


def _long_varint(data: bytes, pos: int, seen: list[Any]) -> tuple[int, int]:
    """A varint of three or more bytes (a timestamp, mostly) and the position after it.

    ``seen`` holds the last one read, bytes and value: a metric's timestamp is mostly the
    payload's or the one before it, and comparing bytes costs a tenth of reading them again.
    """
    if data.startswith(seen[0], pos):
        return seen[1], pos + len(seen[0])
    number, after = _varint_rest(data, pos + 1, data[pos])
    seen[:] = data[pos:after], number
    return number, after


def _varint_rest(data: bytes, pos: int, first: int) -> tuple[int, int]:
    """A varint of more than one byte, ``first`` read, ``pos`` just after it (the one-byte case,
    aliases, datatypes, flags and small sizes, is read inline)."""
    result, shift = first & 0x7F, 7
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _NotPlain
