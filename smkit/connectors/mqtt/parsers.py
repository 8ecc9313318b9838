"""Payload parsers for plain MQTT messages: a bare value, or JSON with configured paths.

Each returns the readings a message carries; anything it cannot read raises
:class:`~smkit.errors.PayloadError` with the reason, which the connector dead-letters.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from smkit.core.sample import Quality, Value
from smkit.core.timeunits import utc_ns
from smkit.errors import PayloadError
from smkit.plant.mqtt import JsonPaths

_QUALITY_WORDS = {"good": Quality.GOOD, "ok": Quality.GOOD, "uncertain": Quality.UNCERTAIN,
                  "bad": Quality.BAD}  # fmt: skip
_SEVERITY = {0: Quality.GOOD, 1: Quality.UNCERTAIN}


class Reading(NamedTuple):
    """One value of one signal a message carries, with its time and quality."""

    signal: str
    ts: int
    value: Value
    quality: Quality = Quality.GOOD


def parse_value(payload: bytes, signal: str, received_ns: int) -> list[Reading]:
    """A bare value: a number, ``true``/``false``, or text; stamped with the arrival time.

    An empty payload is the empty text (a cleared alarm code); for a numeric signal the cast
    to the signal's type then refuses it.
    """
    text = _text(payload).strip()
    value: Value = text
    if text in ("true", "false") or text[:1] in tuple("-0123456789"):
        try:
            value = _scalar(json.loads(text), "the payload")
        except (ValueError, PayloadError):
            value = text
    return [Reading(signal, received_ns, value)]


def parse_json(
    payload: bytes, paths: JsonPaths, signal: str | None, received_ns: int
) -> list[Reading]:
    """Values at the configured paths of a JSON document."""
    try:
        document = json.loads(_text(payload))
    except ValueError as error:
        raise PayloadError(f"not JSON: {error}") from None
    ts = received_ns if paths.timestamp is None else _timestamp(document, paths)
    quality = Quality.GOOD if paths.quality is None else _quality(find(document, paths.quality))
    if paths.value is not None:
        if signal is None:
            raise PayloadError("the topic names no signal for json.value")
        return [_reading(signal, ts, find(document, paths.value), quality, paths.value)]
    assert paths.values is not None
    values = find(document, paths.values)
    if not isinstance(values, dict) or not values:
        raise PayloadError(f"{paths.values!r} is not an object of signal: value")
    skipped = _not_values(paths)
    base = _parts(paths.values)
    return [
        _reading(str(name), ts, raw, quality, ".".join(["$", *base, str(name)]))
        for name, raw in values.items()
        if (*base, str(name)) not in skipped
    ]


PayloadReader = Callable[[bytes, str | None, int], list[Reading]]
_SCALE = {"unix_s": 10**9, "unix_ms": 10**6, "unix_ns": 1}


def json_reader(paths: JsonPaths) -> PayloadReader:
    """:func:`parse_json` for these paths, with a shortcut for the most common shape: one value
    and an integer Unix timestamp at top-level keys, no quality. The shortcut reads only
    payloads it is sure of and hands every other one to :func:`parse_json`, so what is accepted
    and every refusal's reason are :func:`parse_json`'s. It halves a JSON message's cost for the
    collector (``benchmarks/mqtt_ingest.py``)."""

    def general(payload: bytes, signal: str | None, received_ns: int) -> list[Reading]:
        return parse_json(payload, paths, signal, received_ns)

    value_keys, time_keys = _parts(paths.value or ""), _parts(paths.timestamp or "")
    if len(value_keys) != 1 or len(time_keys) != 1 or paths.quality is not None:
        return general
    if paths.timestamp_format == "iso8601":
        return general
    value_key, time_key, scale = value_keys[0], time_keys[0], _SCALE[paths.timestamp_format]

    def shortcut(payload: bytes, signal: str | None, received_ns: int) -> list[Reading]:
        try:
            document = json.loads(payload.decode())
            raw, stamp = document[value_key], document[time_key]
        except (ValueError, KeyError, TypeError, IndexError):
            return general(payload, signal, received_ns)
        kind = type(raw)
        if (signal is None or type(stamp) is not int or kind not in _PLAIN
                or (kind is float and not math.isfinite(raw))
                or not -(2**63) <= stamp * scale < 2**63):  # fmt: skip
            return general(payload, signal, received_ns)
        return [Reading(signal, stamp * scale, raw)]

    return shortcut


_PLAIN = frozenset({int, float, str, bool})


def _not_values(paths: JsonPaths) -> set[tuple[str, ...]]:
    """Paths inside a values object that are not signals: the timestamp, the quality (a flat
    document keeps them beside the values) and the keys ``ignore`` lists."""
    assert paths.values is not None
    base = _parts(paths.values)
    found = {_parts(p) for p in (paths.timestamp, paths.quality) if p is not None}
    return found | {(*base, name) for name in paths.ignore}


@functools.cache
def _parts(path: str) -> tuple[str, ...]:
    """A dotted path's parts; the root (``$``, ``.`` or empty) has none."""
    trimmed = path.removeprefix("$").strip(".")
    return tuple(trimmed.split(".")) if trimmed else ()


def find(document: Any, path: str) -> Any:
    """The value at a dotted path (``data.temp``, ``$.items.0.v``; ``$`` is the document itself);
    PayloadError if absent."""
    current = document
    for part in _parts(path):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise PayloadError(f"nothing at {path!r}")
    return current


def _reading(signal: str, ts: int, raw: Any, quality: Quality, where: str) -> Reading:
    if raw is None:
        return Reading(signal, ts, None, Quality.BAD)
    return Reading(signal, ts, _scalar(raw, repr(where)), quality)


def _scalar(raw: Any, where: str) -> Value:
    if isinstance(raw, bool | int | str):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise PayloadError(f"{where} is {raw}, not a finite number")
        return raw
    raise PayloadError(f"{where} is {type(raw).__name__}, not a number, boolean or text")


def _timestamp(document: Any, paths: JsonPaths) -> int:
    assert paths.timestamp is not None
    raw = find(document, paths.timestamp)
    unit = paths.timestamp_format
    if unit == "iso8601":
        if not isinstance(raw, str):
            raise PayloadError(f"timestamp {raw!r} is not ISO 8601 text")
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise PayloadError(f"timestamp {raw!r} is not ISO 8601") from None
        if moment.tzinfo is None:
            raise PayloadError(f"timestamp {raw!r} has no time zone (add Z or +07:00)")
        return utc_ns(moment)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise PayloadError(f"timestamp {raw!r} is not a number ({unit})")
    scale = {"unix_s": 10**9, "unix_ms": 10**6, "unix_ns": 1}[unit]
    ns = raw * scale
    if not -(2**63) <= ns < 2**63:  # beyond what any historian can store (years 1677-2262)
        raise PayloadError(f"timestamp {raw!r} is out of range ({unit})")
    return ns if isinstance(ns, int) else round(ns)


def _quality(raw: Any) -> Quality:
    if isinstance(raw, bool):
        return Quality.GOOD if raw else Quality.BAD
    if isinstance(raw, str) and raw.lower() in _QUALITY_WORDS:
        return _QUALITY_WORDS[raw.lower()]
    if isinstance(raw, int) and 0 <= raw < 2**32:
        return _SEVERITY.get(raw >> 30, Quality.BAD)  # an OPC UA status code
    raise PayloadError(f"quality {raw!r} is not good/uncertain/bad, a boolean or a status code")


def _text(payload: bytes) -> str:
    try:
        return payload.decode()
    except UnicodeDecodeError as error:
        raise PayloadError(f"not UTF-8 text: {error.reason} at byte {error.start}") from None
