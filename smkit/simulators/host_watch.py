"""A simulated edge node's view of its Sparkplug primary host, as edge nodes configured with a
primary host id behave (Sparkplug 3.0): they publish births and data only while the host's
retained STATE (``spBv1.0/STATE/<host id>``) says online, and keep what they observe while it
does not, to send it as historical data once it is back.

The watch is a connection of its own, so that it hears the host come back while the nodes'
sessions are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

from smkit.simulators.mqtt_client import BrokerConnection, BrokerSettings

FIRST_STATE_S = 2.0
"""How long to wait for the host's retained STATE after subscribing (none: offline)."""


class HostWatch:
    """Follows one host's STATE; calls ``on_change(online)`` whenever it changes."""

    def __init__(
        self, broker: BrokerSettings, host_id: str, client_id: str,
        on_change: Callable[[bool], None],
    ) -> None:  # fmt: skip
        self.host_id = host_id
        self.topic = f"spBv1.0/STATE/{host_id}"
        self.online = False
        self._connection = BrokerConnection(broker, client_id)
        self._on_change = on_change
        self._heard = asyncio.Event()

    async def start(self) -> bool:
        """Subscribe, wait a little for the retained STATE; whether the host is online."""
        await self._connection.connect(subscribe=self.topic, on_message=self._state)
        with contextlib.suppress(TimeoutError):  # no retained STATE: the host was never online
            await asyncio.wait_for(self._heard.wait(), FIRST_STATE_S)
        return self.online

    async def until_online(self, timeout_s: float) -> bool:
        """Wait until the host is online, at most ``timeout_s``; whether it is."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not self.online and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return self.online

    async def close(self) -> None:
        await self._connection.close()

    def _state(self, payload: bytes) -> None:
        self._heard.set()
        online = _is_online(payload)
        if online != self.online:
            self.online = online
            self._on_change(online)


def _is_online(payload: bytes) -> bool:
    try:
        state = json.loads(payload)
    except ValueError:
        return False
    return isinstance(state, dict) and state.get("online") is True
