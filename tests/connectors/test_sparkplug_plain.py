"""The fast reader of plain DATA against the full decoder: never a different answer, and it
reads what edge nodes send most (aliased scalar metrics without their datatype)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.errors import PayloadError
from smkit.protocols.sparkplug import DataType, Metric, Payload, decode, encode, interpret
from smkit.protocols.sparkplug.plain import PlainPayload, read_plain
from tests.connectors.test_sparkplug_codec import RANGES, payloads, scalar

SCALARS = [*RANGES, DataType.FLOAT, DataType.DOUBLE, DataType.BOOLEAN, DataType.STRING]


@st.composite
def plain_metrics(draw: st.DrawFn) -> Metric:
    """A metric as DATA carries it: an alias or a name, maybe a timestamp, one scalar value,
    the datatype sent or not, maybe null."""
    datatype = draw(st.sampled_from(SCALARS))
    value = scalar(draw, datatype)
    is_null = draw(st.integers(0, 9)) == 0
    named = draw(st.booleans())
    return Metric(
        name=draw(st.text(min_size=1, max_size=30)) if named else None,
        alias=None if named else draw(st.integers(0, 2**64 - 1)),
        timestamp=draw(st.none() | st.integers(0, 2**63)),
        datatype=datatype,
        value=None if is_null else value,  # type: ignore[arg-type]
        is_null=is_null,
        send_datatype=draw(st.booleans()),
    )


plain_payloads = st.builds(
    Payload,
    timestamp=st.none() | st.integers(0, 2**63),
    metrics=st.lists(plain_metrics(), max_size=12),
    seq=st.none() | st.integers(0, 255),
)


def same_as_decoded(plain: PlainPayload, data: bytes) -> None:
    """What the fast reader gave is what the full decoder gives for the same bytes."""
    full = decode(data)
    timestamp, seq, metrics = plain
    assert (timestamp, seq) == (full.timestamp, full.seq)
    assert len(metrics) == len(full.metrics)
    for (name, alias, ts, datatype, value, is_null), metric in zip(
        metrics, full.metrics, strict=True
    ):
        assert (name, alias, ts) == (metric.name, metric.alias, metric.timestamp)
        assert (datatype, is_null) == (metric.datatype, metric.is_null)
        assert not metric.unsupported and not metric.properties
        assert not metric.is_historical and not metric.is_transient
        assert interpret(value, datatype) == metric.value
        assert type(interpret(value, datatype)) is type(metric.value)


@settings(max_examples=500, deadline=None)
@given(payload=plain_payloads)
def test_plain_data_is_read_and_reads_as_the_full_decoder_reads_it(payload: Payload) -> None:
    data = encode(payload)
    plain = read_plain(data)
    assert plain is not None
    same_as_decoded(plain, data)


@settings(max_examples=300, deadline=None)
@given(payload=plain_payloads, times=st.lists(st.integers(0, 2**63), min_size=1, max_size=3),
       data=st.data())  # fmt: skip
def test_timestamps_shared_between_metrics_read_as_each_one_sent(
    payload: Payload, times: list[int], data: st.DataObject
) -> None:
    """Metrics mostly carry the payload's timestamp or the one before theirs (the reader
    reuses what it read last when the bytes are the same): any mix reads right."""
    pick = st.sampled_from([*times, None])
    metrics = [replace(m, timestamp=data.draw(pick)) for m in payload.metrics]
    wired = encode(replace(payload, timestamp=data.draw(pick), metrics=metrics))
    plain = read_plain(wired)
    assert plain is not None
    same_as_decoded(plain, wired)


@settings(max_examples=500, deadline=None)
@given(payload=payloads)
def test_any_payload_is_either_left_to_the_full_decoder_or_read_alike(payload: Payload) -> None:
    data = encode(payload)
    plain = read_plain(data)
    extras = any(m.properties or m.is_historical or (m.datatype is DataType.BYTES and not m.is_null)
                 for m in payload.metrics)  # fmt: skip
    if extras or payload.uuid is not None or payload.body is not None:
        assert plain is None
    else:
        assert plain is not None
        same_as_decoded(plain, data)


@settings(max_examples=2000, deadline=None)
@given(
    data=st.binary(max_size=64)
    | plain_payloads.map(encode).map(lambda b: b[: len(b) // 2])
    | plain_payloads.map(encode).map(lambda b: b[:-1])
)
def test_what_the_full_decoder_refuses_the_fast_reader_never_accepts(data: bytes) -> None:
    plain = read_plain(data)
    if plain is None:
        return
    same_as_decoded(plain, data)  # decode raising here would fail the test


@pytest.mark.parametrize(
    "data",
    [
        b"\x08",  # ends inside a varint
        b"\x12\x05\x0a\x01",  # a metric running past the end
        b"\x12\x03\x0a\x01\xff",  # a name that is not UTF-8
        b"\x12\x05\x55\x00\x00\x00\x00",  # an int value with a fixed32 wire type
        b"\x08" + b"\xff" * 11,  # a varint longer than 10 bytes
        b"\x12\x0a\x10\x01\x69\x00\x00\x00\x00\x00\x00\xf0",  # a double cut short
    ],
)
def test_malformed_payloads_are_left_to_the_full_decoder_to_explain(data: bytes) -> None:
    assert read_plain(data) is None
    with pytest.raises(PayloadError):
        decode(data)


def test_a_ddata_of_aliased_doubles_worked_by_hand() -> None:
    """Timestamp 1000 ms, seq 7, alias 5 = 2.5 at 1001 ms, alias 6 null."""
    data = bytes.fromhex(
        "08e807"  # timestamp 1000
        + "120e" + "1005" + "18e907" + "69" + "0000000000000440"  # alias 5, ts 1001, double 2.5
        + "1204" + "1006" + "3801"  # alias 6, is_null
        + "1807"  # seq 7
    )  # fmt: skip
    metrics = [(None, 5, 1001, None, 2.5, False), (None, 6, None, None, None, True)]
    assert read_plain(data) == (1000, 7, metrics)
