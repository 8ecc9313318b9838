"""``BufferedClient`` reads the socket in large pieces and hands paho the bytes it asks for, as
the socket would: in order, a short read at the end of what arrived, ``BlockingIOError`` when
nothing is waiting, ``b""`` when the broker closed; a new connection starts with nothing kept."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from smkit.protocols.mqtt_loop import BufferedClient


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    """Every socket a test opens, closed after it."""
    opened: list[socket.socket] = []
    yield opened
    for each in opened:
        each.close()


def connected(client: BufferedClient, sockets: list[socket.socket]) -> socket.socket:
    """Give the client one end of a socket pair, as ``connect`` gives it its socket; the
    other end, the broker's, is returned."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    sockets += [ours, theirs]
    client._sock = ours  # where paho keeps its socket
    return theirs


def test_paho_still_reads_through_the_one_method_the_client_overrides() -> None:
    assert callable(getattr(mqtt.Client, "_sock_recv", None))


def test_one_receive_serves_many_small_reads_in_order(sockets: list[socket.socket]) -> None:
    client = BufferedClient(CallbackAPIVersion.VERSION2)
    broker = connected(client, sockets)
    packets = [b"\x30\x04\x00\x01ab", b"\x30\x03\x00\x01c", b"\x40\x02\x00\x07"]
    broker.sendall(b"".join(packets))
    assert client._sock_recv(1) == b"\x30"
    assert client.buffered() == sum(map(len, packets)) - 1, "everything waiting was read at once"
    assert client._sock_recv(1) == b"\x04"
    assert client._sock_recv(4) == b"\x00\x01ab"
    assert client._sock_recv(100) == b"".join(packets[1:]), "a short read"
    with pytest.raises(BlockingIOError):
        client._sock_recv(1)
    broker.sendall(b"\xd0\x00")
    assert client._sock_recv(2) == b"\xd0\x00"
    broker.close()
    assert client._sock_recv(1) == b"", "the broker closed"


def test_a_new_connection_starts_with_nothing_kept(sockets: list[socket.socket]) -> None:
    client = BufferedClient(CallbackAPIVersion.VERSION2)
    old = connected(client, sockets)
    old.sendall(b"\x30\x04\x00\x01ab")
    assert client._sock_recv(1) == b"\x30"
    new = connected(client, sockets)
    assert client.buffered() == 0
    new.sendall(b"\x20\x02\x00\x00")
    assert client._sock_recv(4) == b"\x20\x02\x00\x00"
