"""The host's plain path against its full path: any run of births, DATA (plain or not), deaths
and seq numbers gives the same values and leaves the same state either way."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.connectors.mqtt.sparkplug_host import SparkplugHost
from smkit.connectors.mqtt.sparkplug_state import Outcome, SparkplugTopic
from smkit.connectors.mqtt.sparkplug_values import PlainValues
from smkit.core.sample import Quality
from smkit.protocols.sparkplug import BDSEQ, DataType, Metric, Payload, decode, encode
from smkit.protocols.sparkplug.plain import read_plain

T0 = 1_795_385_400_000  # ms
S = 10**9
SIGNALS = {"temp": DataType.DOUBLE, "count": DataType.INT64, "offset": DataType.INT16,
           "state": DataType.STRING, "running": DataType.BOOLEAN}  # fmt: skip
ALIASES = {name: alias for alias, name in enumerate(SIGNALS)}
DEVICES = ["press-01", "press-02"]
Row = tuple[str, int, Any, Quality]


def value_of(kind: DataType, draw: st.DrawFn) -> object:
    if kind is DataType.DOUBLE:
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if kind is DataType.STRING:
        return draw(st.sampled_from(["RUN", "IDLE", ""]))
    if kind is DataType.BOOLEAN:
        return draw(st.booleans())
    bits = 16 if kind is DataType.INT16 else 64
    return draw(st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))


@st.composite
def data_metric(draw: st.DrawFn, ms: int) -> Metric:
    """A DATA metric sent about ``ms`` (or a few seconds before: resent after a reconnect):
    mostly by alias without datatype; sometimes by name, with an alias no birth declared,
    null, with a Quality property or historical (the last two not plain)."""
    name = draw(st.sampled_from(list(SIGNALS)))
    kind = SIGNALS[name]
    how = draw(st.sampled_from(["alias"] * 20 + ["name", "unknown", "bdseq"]))
    null = draw(st.integers(0, 9)) == 0
    return Metric(
        name=name if how == "name" else BDSEQ if how == "bdseq" else None,
        alias=None if how in ("name", "bdseq") else 99 if how == "unknown" else ALIASES[name],
        timestamp=draw(st.none() | st.integers(ms - 5_000, ms)),
        datatype=DataType.INT64 if how == "bdseq" else kind,
        value=None if null else 3 if how == "bdseq" else value_of(kind, draw),  # type: ignore[arg-type]
        is_null=null,
        is_historical=draw(st.integers(0, 19)) == 0,
        properties={"Quality": 64} if draw(st.integers(0, 19)) == 0 else {},
        send_datatype=draw(st.booleans()),
    )


def birth(ms: int, seq: int, bd_seq: int | None, values: dict[str, object]) -> Payload:
    metrics = [Metric(name=name, alias=ALIASES[name], datatype=kind, value=values[name])  # type: ignore[arg-type]
               for name, kind in SIGNALS.items()]  # fmt: skip
    if bd_seq is not None:
        metrics.append(Metric(name=BDSEQ, datatype=DataType.INT64, value=bd_seq))
    return Payload(ms, metrics, seq)


BORN = [("NBIRTH", None), *(("DBIRTH", device) for device in DEVICES)]


@st.composite
def messages(draw: st.DrawFn) -> list[tuple[SparkplugTopic, bytes]]:
    """A node's life: births (mostly first), DATA of the node and its devices, seq numbers
    mostly in order (sometimes skipped, repeated or out of range), deaths, and restarts (a
    death, then births whose values are older or newer than it)."""
    device = st.sampled_from(DEVICES)
    step = st.sampled_from(["DDATA"] * 12 + ["NDATA"] * 3 + ["NBIRTH", "DBIRTH", "DDEATH",
                                                             "NDEATH", "restart"])  # fmt: skip
    steps = BORN if draw(st.integers(0, 4)) else []
    for kind in draw(st.lists(step, max_size=40)):
        if kind == "restart":
            steps = [*steps, ("NDEATH", None), *BORN]
        else:
            steps = [*steps, (kind, draw(device) if kind[0] == "D" else None)]
    out: list[tuple[SparkplugTopic, bytes]] = []
    seq, bd_seq = 0, 0
    for kind, where in steps:
        ms = T0 + 1_000 * len(out) + draw(st.integers(-3_000, 3_000))  # arrivals 1 s apart
        seq = (seq + draw(st.sampled_from([1, 1, 1, 1, 0, 2]))) % 256
        sent = draw(st.sampled_from([seq] * 9 + [300]))
        if kind == "NBIRTH":
            bd_seq, seq = bd_seq + 1, 0
            payload = birth(ms, 0, bd_seq, {n: value_of(k, draw) for n, k in SIGNALS.items()})
        elif kind == "DBIRTH":
            payload = birth(ms, sent, None, {n: value_of(k, draw) for n, k in SIGNALS.items()})
        elif kind == "NDEATH":
            payload = Payload(None, [Metric(name=BDSEQ, datatype=DataType.INT64, value=bd_seq)])
        elif kind == "DDEATH":
            payload = Payload(ms, [], sent)
        else:
            metrics = draw(st.lists(data_metric(ms), max_size=6))
            payload = Payload(draw(st.none() | st.just(ms)), metrics, sent)
        out.append((SparkplugTopic("shop", kind, "presses", where), encode(payload)))
    return out


def full_rows(outcome: Outcome) -> list[Row]:
    return [(v.name, v.ts, v.value, v.quality) for v in outcome.values]


def plain_rows(values: PlainValues) -> list[Row]:
    return [(name, ts, value, Quality.GOOD if value is not None else Quality.BAD)
            for name, ts, value in zip(*values, strict=True)]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(run=messages())
def test_the_plain_path_gives_what_the_full_path_gives(
    run: list[tuple[SparkplugTopic, bytes]],
) -> None:
    full, fast = SparkplugHost(2 * S), SparkplugHost(2 * S)
    for arrival, (topic, data) in enumerate(run):
        received = T0 * 10**6 + arrival * S
        expected = full.receive(topic, decode(data), received)
        plain = read_plain(data) if topic.kind in ("NDATA", "DDATA") else None
        values = None if plain is None else fast.receive_plain(topic, plain, received)
        if values is None:
            assert full_rows(fast.receive(topic, decode(data), received)) == full_rows(expected)
        else:
            assert plain_rows(values) == full_rows(expected)
            assert (expected.problems, expected.rebirth, expected.stale) == ([], None, [])
        assert fast._nodes == full._nodes  # births, aliases, seq, last values, marks
    assert fast.overdue(10**20) == full.overdue(10**20)


def test_plain_ddata_of_a_born_device_takes_the_plain_path() -> None:
    host = SparkplugHost(2 * S)
    node, device = SparkplugTopic("shop", "NBIRTH", "presses"), "press-01"
    host.receive(node, decode(encode(birth(T0, 0, 1, dict.fromkeys(SIGNALS, None)))), 0)
    born = birth(T0, 1, None, {"temp": 1.0, "count": 1, "offset": 1, "state": "RUN",
                               "running": True})  # fmt: skip
    host.receive(SparkplugTopic("shop", "DBIRTH", "presses", device), decode(encode(born)), 0)
    sent = Payload(T0 + 1, [
        Metric(alias=ALIASES["offset"], datatype=DataType.INT16, value=-2, send_datatype=False),
        Metric(alias=ALIASES["temp"], timestamp=T0 + 2, datatype=DataType.DOUBLE, value=None,
               is_null=True),
    ], 2)  # fmt: skip
    plain = read_plain(encode(sent))
    assert plain is not None
    values = host.receive_plain(SparkplugTopic("shop", "DDATA", "presses", device), plain, S)
    assert values == PlainValues(["offset", "temp"], [(T0 + 1) * 10**6, (T0 + 2) * 10**6],
                                 [-2, None])  # fmt: skip
    assert host._nodes[("shop", "presses")].last[(device, "offset")] == ((T0 + 1) * 10**6, -2)
