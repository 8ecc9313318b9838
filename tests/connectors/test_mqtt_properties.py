"""MQTT 5 PUBLISH properties read with shared tables are the ones paho reads itself."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from paho.mqtt import MQTTException
from paho.mqtt import _packet as paho_packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from smkit.protocols.mqtt_properties import SharedTableProperties, read_properties_cheaply


def publish_packet(properties: bytes, payload: bytes = b'{"v": 1.5}') -> bytes:
    """A QoS 1 PUBLISH after its fixed header: topic, packet id, properties, payload."""
    topic = b"plant/line/press-01/temp"
    return struct.pack("!H", len(topic)) + topic + struct.pack("!H", 7) + properties + payload


def some_properties() -> bytes:
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.ContentType = "application/json"
    properties.MessageExpiryInterval = 60
    properties.UserProperty = [("unit", "°C"), ("line", "L1")]
    properties.SubscriptionIdentifier = [4]
    return bytes(properties.pack())  # type: ignore[no-untyped-call]


def decoded(packet: bytes) -> paho_packet.PublishPacket:
    return paho_packet.decode_publish(0x32, packet, MQTTProtocolVersion.MQTTv5)


@pytest.fixture
def paho_as_shipped() -> None:
    """paho's own class for the first read; the shared-table one from then on in the process."""
    setattr(paho_packet, "Properties", Properties)  # noqa: B010


@pytest.mark.parametrize("raw", [b"\x00", some_properties()], ids=["none", "several"])
def test_the_same_properties_as_paho_reads(paho_as_shipped: None, raw: bytes) -> None:
    theirs = decoded(publish_packet(raw))
    assert read_properties_cheaply()
    ours = decoded(publish_packet(raw))
    assert type(ours.properties) is SharedTableProperties
    assert vars(ours.properties) == vars(theirs.properties)
    assert ours.properties.json() == theirs.properties.json()  # type: ignore[union-attr,no-untyped-call]
    assert (ours.topic, ours.mid, ours.payload) == (theirs.topic, theirs.mid, theirs.payload)


def test_a_fresh_object_per_message_shares_only_the_tables(paho_as_shipped: None) -> None:
    assert read_properties_cheaply() and read_properties_cheaply(), "enabling twice is harmless"
    first: Any = decoded(publish_packet(some_properties())).properties
    second: Any = decoded(publish_packet(b"\x00")).properties
    assert first is not second and first.names is second.names
    assert not hasattr(second, "ContentType") and first.ContentType == "application/json"


def test_paho_still_refuses_a_property_given_twice(paho_as_shipped: None) -> None:
    read_properties_cheaply()
    twice = b"\x04" + b"\x02\x00\x00\x00\x3c" * 2  # Message Expiry Interval, twice
    twice = bytes([len(twice) - 1]) + twice[1:]
    with pytest.raises(MQTTException, match="more than once"):
        decoded(publish_packet(twice))
