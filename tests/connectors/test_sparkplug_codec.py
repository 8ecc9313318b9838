"""smkit's Sparkplug B codec against Google's protobuf runtime compiled from the spec's schema."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.errors import PayloadError
from smkit.protocols.sparkplug import DataType, Metric, Payload, decode, encode, interpret

RANGES = {
    DataType.INT8: (-(2**7), 2**7 - 1),
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.INT64: (-(2**63), 2**63 - 1),
    DataType.UINT8: (0, 2**8 - 1),
    DataType.UINT16: (0, 2**16 - 1),
    DataType.UINT32: (0, 2**32 - 1),
    DataType.UINT64: (0, 2**64 - 1),
    DataType.DATETIME: (0, 2**63 - 1),
}


def float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def scalar(draw: st.DrawFn, datatype: DataType) -> object:
    """A value a metric of ``datatype`` can carry."""
    if datatype in RANGES:
        return draw(st.integers(*RANGES[datatype]))
    if datatype is DataType.FLOAT:
        return float32(draw(st.floats(width=32, allow_nan=False)))
    if datatype is DataType.DOUBLE:
        return draw(st.floats(allow_nan=False))
    if datatype is DataType.BOOLEAN:
        return draw(st.booleans())
    if datatype is DataType.BYTES:
        return draw(st.binary(max_size=20))
    return draw(st.text(max_size=20))


@st.composite
def metrics(draw: st.DrawFn) -> Metric:
    datatype = draw(st.sampled_from([*RANGES, DataType.FLOAT, DataType.DOUBLE, DataType.BOOLEAN,
                                     DataType.STRING, DataType.TEXT, DataType.BYTES]))  # fmt: skip
    value = scalar(draw, datatype)
    is_null = draw(st.booleans()) and draw(st.booleans())
    return Metric(
        name=draw(st.none() | st.text(min_size=1, max_size=30)),
        alias=draw(st.none() | st.integers(0, 2**64 - 1)),
        timestamp=draw(st.none() | st.integers(0, 2**63)),
        datatype=datatype,
        value=None if is_null else value,  # type: ignore[arg-type]
        is_null=is_null,
        is_historical=draw(st.booleans()),
        properties=draw(
            st.dictionaries(
                st.sampled_from(["engUnit", "Quality", "description"]),
                st.integers(-(2**31), 2**31 - 1) | st.text(max_size=8) | st.booleans(),
                max_size=2,
            )
        ),
    )


payloads = st.builds(
    Payload,
    timestamp=st.none() | st.integers(0, 2**63),
    metrics=st.lists(metrics(), max_size=6),
    seq=st.none() | st.integers(0, 255),
    uuid=st.none() | st.text(max_size=10),
    body=st.none() | st.binary(max_size=10),
)


def reference_value(metric: Any) -> object:
    """A metric's value read from the reference message, by the spec's rules."""
    if metric.is_null:
        return None
    kind = metric.WhichOneof("value")
    raw = getattr(metric, kind) if kind else None
    bits = {1: 8, 2: 16, 3: 32, 4: 64}.get(metric.datatype)
    if bits is not None:
        raw &= (1 << bits) - 1
        return raw - (1 << bits) if raw >> (bits - 1) else raw
    return raw


def reference_properties(properties: Any) -> dict[str, object]:
    values = []
    for value in properties.values:
        raw = getattr(value, value.WhichOneof("value"))
        if value.type == 3 and raw >= 2**31:
            raw -= 2**32
        values.append(raw)
    return dict(zip(properties.keys, values, strict=True))


@settings(max_examples=300, deadline=None)
@given(payload=payloads)
def test_what_smkit_writes_the_reference_decoder_reads(
    reference_payload: Any, payload: Payload
) -> None:
    message = reference_payload()
    message.ParseFromString(encode(payload))
    assert (message.HasField("timestamp"), message.timestamp) == (
        payload.timestamp is not None, payload.timestamp or 0)  # fmt: skip
    assert (message.HasField("seq"), message.seq) == (payload.seq is not None, payload.seq or 0)
    assert (message.uuid if message.HasField("uuid") else None) == payload.uuid
    assert (message.body if message.HasField("body") else None) == payload.body
    assert len(message.metrics) == len(payload.metrics)
    for ours, theirs in zip(payload.metrics, message.metrics, strict=True):
        assert (theirs.name if theirs.HasField("name") else None) == ours.name
        assert (theirs.alias if theirs.HasField("alias") else None) == ours.alias
        assert (theirs.timestamp if theirs.HasField("timestamp") else None) == ours.timestamp
        assert theirs.datatype == ours.datatype
        assert (theirs.is_null, theirs.is_historical) == (ours.is_null, ours.is_historical)
        assert reference_value(theirs) == ours.value
        assert reference_properties(theirs.properties) == ours.properties


@settings(max_examples=300, deadline=None)
@given(payload=payloads)
def test_what_the_reference_encoder_writes_smkit_reads(
    reference_payload: Any, payload: Payload
) -> None:
    message = reference_payload()
    message.ParseFromString(encode(payload))
    assert decode(message.SerializeToString()) == payload


def test_a_worked_example_byte_for_byte(reference_payload: Any) -> None:
    """A DDATA-like payload: one aliased Int32 of -2, seq 7, timestamp 1000 ms."""
    ours = encode(
        Payload(timestamp=1000, metrics=[Metric(alias=5, datatype=DataType.INT32, value=-2)], seq=7)
    )
    message = reference_payload(timestamp=1000, seq=7)
    message.metrics.add(alias=5, datatype=3, int_value=2**32 - 2)
    assert ours == message.SerializeToString()
    assert ours.hex() == "08e807" + "120a" + "1005" + "2003" + "50feffffff0f" + "1807"


def test_data_without_datatype_keeps_the_raw_value_until_the_birth_says_what_it_is() -> None:
    raw = decode(encode(Payload(metrics=[Metric(alias=1, datatype=DataType.INT16, value=-3)])))
    assert raw.metrics[0].value == -3
    untyped = bytes.fromhex("120610015083ff03")  # alias 1, int_value 0xff83 (no datatype)
    metric = decode(untyped).metrics[0]
    assert metric.value == 0xFF83 and metric.datatype is None
    assert interpret(metric.value, DataType.INT16) == -125
    assert interpret(interpret(metric.value, DataType.INT16), DataType.INT16) == -125


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x08", "ends inside a varint"),
        (b"\x12\x05\x0a\x01", "runs past the end"),
        (b"\x0b", "unsupported wire type 3"),
        (b"\x12\x02\x08\x01", "name must be length-delimited"),
        (b"\x12\x03\x0a\x01\xff", "not UTF-8"),
        (b"\x00", "field number 0 out of range"),
        (b"\x80\x80\x80\x80\x10\x00", "field number 536870912 out of range"),
        (b"\x12\x05\x55\x00\x00\x00\x00", "value field 10 has wire type 5"),
        (b"\x08" + b"\xff" * 11, "longer than 10 bytes"),
    ],
)
def test_malformed_payloads_are_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        decode(data)


@settings(max_examples=1000, deadline=None)
@given(data=st.binary(max_size=64) | payloads.map(encode).map(lambda b: b[: len(b) // 2]))
def test_random_bytes_raise_a_payload_error_or_decode_as_the_reference_does(
    reference_payload: Any, data: bytes
) -> None:
    try:
        ours = decode(data)
    except PayloadError:
        return
    message = reference_payload()
    message.ParseFromString(data)  # what smkit accepts, protobuf accepts too
    assert len(message.metrics) == len(ours.metrics)
    assert (message.timestamp if message.HasField("timestamp") else None) == ours.timestamp
    assert (message.seq if message.HasField("seq") else None) == ours.seq
