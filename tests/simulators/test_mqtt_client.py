"""The simulator's publishing session against a real Mosquitto: before it drops a session on
purpose, the broker has read everything it sent."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from smkit.localservers import LocalMosquitto
from smkit.simulators.mqtt_client import BrokerConnection, BrokerSettings
from tests.simulators.mqtt_recorder import Recorder


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalMosquitto]:
    """A broker of its own: the test stops its process for a while."""
    server = LocalMosquitto(tmp_path / "broker")
    server.start()
    yield server
    server.stop()


async def test_a_drop_waits_until_the_broker_has_read_what_was_sent(
    broker: LocalMosquitto,
) -> None:
    """Written to the socket is not read by the broker: a broker that does not read (stopped
    here, loaded in CI) would lose the last QoS 0 values if the socket were closed now."""
    assert broker.process is not None
    connection = BrokerConnection(BrokerSettings(broker.url), "smkit-sim-test-read")
    with Recorder(broker.url, "test/#") as recorder:
        await connection.connect()
        os.kill(broker.process.pid, signal.SIGSTOP)
        try:
            for number in range(200):
                connection.publish("test/values", str(number).encode(), 0, False)
            await connection.drain()  # in the socket: the broker has read none of it
            dropping = asyncio.create_task(connection.drop_with_will())
            await asyncio.sleep(1.0)
            assert not dropping.done(), "the session was dropped before the broker read it"
        finally:
            os.kill(broker.process.pid, signal.SIGCONT)
        await asyncio.wait_for(dropping, 10)
        received = [payload for _, payload in recorder.settle()]
    assert received == [str(number).encode() for number in range(200)]
