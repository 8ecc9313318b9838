"""MQTT topic templates and payload parsers: worked examples, the simulator's formats, fuzzing."""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.connectors.mqtt.parsers import Reading, json_reader, parse_json, parse_value
from smkit.connectors.mqtt.topics import TopicTemplate
from smkit.core.sample import Quality
from smkit.errors import PayloadError
from smkit.plant.mqtt import JsonPaths
from smkit.simulators.catalog import find_scenario
from smkit.simulators.mqtt_messages import Topics, plain_messages
from smkit.simulators.run import simulate
from smkit.simulators.signals import signal_values
from tests.plant.test_loader import problems

NOW = 1_795_385_400_000_000_000
PER_SIGNAL = JsonPaths(value="value", timestamp="ts", timestamp_format="unix_ms")
DOCUMENT = JsonPaths(values="values", timestamp="ts", timestamp_format="unix_ms")
FLAT = JsonPaths(values="$", timestamp="ts", timestamp_format="unix_ms")


def test_a_template_gives_the_filter_and_reads_the_fields_back() -> None:
    template = TopicTemplate("{site}/{area}/{line}/{machine}/{signal}")
    assert template.filter == "+/+/+/+/+"
    assert template.match("im-shop/moulding/presses/press-01/melt_temp") == {
        "site": "im-shop", "area": "moulding", "line": "presses", "machine": "press-01",
        "signal": "melt_temp",
    }  # fmt: skip
    assert template.match("im-shop/moulding/presses/press-01") is None
    mixed = TopicTemplate("plant/cell-{machine}/+/data/#", shared_group="collectors")
    assert mixed.filter == "$share/collectors/plant/+/+/data/#"
    assert mixed.match("plant/cell-vmc01/x/data/a/b") == {"machine": "vmc01"}
    assert mixed.match("plant/vmc01/x/data/a") is None


@pytest.mark.parametrize(
    ("payload", "value"),
    [(b"81.5", 81.5), (b"-3", -3), (b"true", True), (b"false", False), (b"ALARM", "ALARM"),
     (b" 12 ", 12), (b"1e3", 1000.0), (b"0x10", "0x10"), ("Lỗi".encode(), "Lỗi"), (b"", "")],
)  # fmt: skip
def test_bare_values(payload: bytes, value: object) -> None:
    (reading,) = parse_value(payload, "temp", NOW)
    assert reading == Reading("temp", NOW, value)
    assert type(reading.value) is type(value)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b"\xff\xfe", "not UTF-8"), (b"nan", None)],
)
def test_bare_values_that_cannot_be_read(payload: bytes, reason: str | None) -> None:
    if reason is None:
        assert parse_value(payload, "x", NOW)[0].value == "nan"  # text, not a float NaN
        return
    with pytest.raises(PayloadError, match=reason):
        parse_value(payload, "x", NOW)


def test_json_paths_timestamps_and_quality() -> None:
    paths = JsonPaths(value="data.v", timestamp="data.t", timestamp_format="iso8601",
                      quality="data.q")  # fmt: skip
    payload = b'{"data": {"v": 4.5, "t": "2026-11-25T14:00:00.250+07:00", "q": "uncertain"}}'
    (reading,) = parse_json(payload, paths, "temp", NOW)
    utc = calendar.timegm((2026, 11, 25, 7, 0, 0)) * 10**9 + 250_000_000  # 14:00 at +07:00
    assert reading == Reading("temp", utc, 4.5, Quality.UNCERTAIN)
    (null,) = parse_json(b'{"v": null}', JsonPaths(value="$.v"), "temp", NOW)
    assert null == Reading("temp", NOW, None, Quality.BAD)
    seconds = JsonPaths(value="v", timestamp="t", timestamp_format="unix_s")
    assert parse_json(b'{"v": 1, "t": 1795330800.5}', seconds, "x", NOW)[0].ts == (
        1_795_330_800_500_000_000
    )


@pytest.mark.parametrize(
    ("payload", "paths", "reason"),
    [
        (b"{", PER_SIGNAL, "not JSON"),
        (b'{"ts": 1}', PER_SIGNAL, "nothing at 'value'"),
        (b'{"value": [1, 2], "ts": 1}', PER_SIGNAL, "is list, not a number"),
        (b'{"value": 1, "ts": "yesterday"}', PER_SIGNAL, "not a number"),
        (b'{"value": 1, "ts": true}', PER_SIGNAL, "not a number"),
        (b'{"value": 1, "ts": 2e302}', PER_SIGNAL, "out of range"),
        (b'{"value": 1, "ts": 9223372036854775807}', PER_SIGNAL, "out of range"),
        (b'{"values": [], "ts": 1}', DOCUMENT, "not an object of signal: value"),
        (b'{"value": 1, "t": "2026-11-25T14:00:00"}',
         JsonPaths(value="value", timestamp="t", timestamp_format="iso8601"), "no time zone"),
        (b'{"value": 1, "q": "fine"}', JsonPaths(value="value", quality="q"), "quality 'fine'"),
    ],
)  # fmt: skip
def test_json_that_cannot_be_read_says_why(payload: bytes, paths: JsonPaths, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse_json(payload, paths, "x", NOW)


@pytest.mark.parametrize("fmt", ["json", "document", "flat", "value"])
def test_the_simulators_formats_read_back_exactly(fmt: str) -> None:
    loaded = find_scenario("injection-moulding")
    values = list(signal_values(loaded.scenario, loaded.plant, simulate(loaded, 3, 600)))
    topics = Topics(loaded.plant)
    per_signal = TopicTemplate("{site}/{area}/{line}/{machine}/{signal}")
    per_machine = TopicTemplate("{site}/{area}/{line}/{machine}")
    read = []
    for message in plain_messages(fmt, values, topics):
        template = per_machine if fmt in ("document", "flat") else per_signal
        fields = template.match(message.topic)
        assert fields is not None, message.topic
        if fmt == "value":
            readings = parse_value(message.payload, fields["signal"], message.values[0].ts)
        else:
            paths = {"document": DOCUMENT, "flat": FLAT}.get(fmt, PER_SIGNAL)
            readings = parse_json(message.payload, paths, fields.get("signal"), NOW)
        read += [(fields["machine"], r.signal, r.ts, r.value) for r in readings]
    expected = [(v.machine, v.signal, v.ts, v.value) for v in values]
    assert sorted(read, key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize("root", ["$", "", ".", "$."])
def test_a_flat_document_is_read_from_its_root_without_its_timestamp_quality_or_ignored_keys(
    root: str,
) -> None:
    payload = b'{"ts": 1764050400123, "q": "good", "machine": "press-01", "state": 3, ' \
              b'"count_total": 1200, "temp": 61.5}'  # fmt: skip
    paths = JsonPaths(values=root, timestamp="ts", quality="q", ignore=["machine"])
    readings = parse_json(payload, paths, None, NOW)
    assert [(r.signal, r.value, r.ts) for r in readings] == [
        ("state", 3, 1764050400123 * 10**6), ("count_total", 1200, 1764050400123 * 10**6),
        ("temp", 61.5, 1764050400123 * 10**6)]  # fmt: skip
    nested = JsonPaths(values="data", timestamp="data.ts")
    [reading] = parse_json(b'{"data": {"ts": 1764050400123, "v": 1}}', nested, None, NOW)
    assert reading.signal == "v"


scalars = st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["value", "values", "ts"]), inner, max_size=3)
    ),
    max_leaves=8,
).map(lambda document: json.dumps(document).encode())


@settings(max_examples=1500, deadline=None)
@given(payload=st.binary(max_size=80) | st.text(max_size=40).map(str.encode) | documents)
def test_any_payload_is_read_or_refused_with_a_payload_error(payload: bytes) -> None:
    for parse in (
        lambda: parse_value(payload, "x", NOW),
        lambda: parse_json(payload, PER_SIGNAL, "x", NOW),
        lambda: parse_json(payload, DOCUMENT, None, NOW),
    ):
        try:
            readings = parse()
        except PayloadError:
            continue
        assert all(isinstance(r.ts, int) for r in readings)


def test_mqtt_source_mistakes_are_named() -> None:
    text = """\
site: {id: s1, timezone: Asia/Ho_Chi_Minh, areas: [{id: a1, lines: [{id: l1, machines: [{id: m1, products: [{id: p1, ideal_cycle_time_s: 30}]}]}]}]}
sources:
  - id: broker
    kind: mqtt
    url: mqtt://127.0.0.1:1883
    subscriptions:
      - {topic: "plant/{machine}/{signal}", parser: json}
      - {topic: "plant/{machine}", parser: value}
      - {topic: "plant/{machin}/{signal}", parser: value}
"""  # noqa: E501
    found = problems(text)
    assert any("subscriptions[0]: parser json needs json:" in p for p in found), found
    assert any("subscriptions[1]: parser value needs {signal} in the topic" in p for p in found)
    assert any("subscriptions[2].topic: unknown placeholder {machin}" in p for p in found)


def _outcome(read: Callable[[], list[Reading]]) -> object:
    try:
        return read()
    except PayloadError as error:
        return f"refused: {error}"


_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    value=st.one_of(_JSON_SCALARS, st.lists(st.integers(), max_size=2)),
    stamp=st.one_of(_JSON_SCALARS, st.just(1_795_385_400_000)),
    unit=st.sampled_from(["unix_s", "unix_ms", "unix_ns", "iso8601"]),
    keys=st.sampled_from([("value", "ts"), ("v", "ts"), ("value", "time")]),
    signal=st.sampled_from(["melt_temp", None]),
    garble=st.sampled_from([b"", b"\xff", b"}"]),
)
def test_the_json_shortcut_reads_and_refuses_exactly_as_the_full_parser(
    *, value: object, stamp: object, unit: str, keys: tuple[str, str], signal: str | None,
    garble: bytes,
) -> None:  # fmt: skip
    paths = JsonPaths.model_validate({"value": "value", "timestamp": "ts",
                                      "timestamp_format": unit})  # fmt: skip
    payload = json.dumps({keys[0]: value, keys[1]: stamp}).encode() + garble
    shortcut = json_reader(paths)
    assert _outcome(lambda: shortcut(payload, signal, NOW)) == _outcome(
        lambda: parse_json(payload, paths, signal, NOW)
    )
