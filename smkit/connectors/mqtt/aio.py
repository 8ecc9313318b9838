"""Run a paho-mqtt 2.x client on the asyncio event loop instead of in paho's own thread.

paho's network thread is woken through a socket pair for every publish and fights the event
loop for the GIL; paho's documented external-loop hooks let the event loop read and write the
socket instead, so every callback runs in the loop's thread and nothing needs a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

HOUSEKEEPING_S = 1.0


class LoopAttachment:
    """The hooks that hand a paho client's socket to the running event loop."""

    def __init__(self, client: mqtt.Client) -> None:
        self._housekeeping: asyncio.Task[None] | None = None
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._written

    def _opened(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(sock, client.loop_read)
        self._housekeeping = loop.create_task(self._keep(client))

    def _closed(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(sock)
        if self._housekeeping is not None:
            self._housekeeping.cancel()

    def _want_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        asyncio.get_running_loop().add_writer(sock, client.loop_write)

    def _written(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_writer(sock)

    async def _keep(self, client: mqtt.Client) -> None:
        """Keep-alive pings and retries: paho's ``loop_misc`` once a second."""
        while client.loop_misc() == MQTTErrorCode.MQTT_ERR_SUCCESS:
            await asyncio.sleep(HOUSEKEEPING_S)
