"""Run a paho-mqtt 2.x client on the asyncio event loop instead of in paho's own thread.

paho's network thread is woken through a socket pair for every publish and fights the event
loop for the GIL; paho's documented external-loop hooks let the event loop read and write the
socket instead, so every callback runs in the loop's thread and nothing needs a lock.

A :class:`BufferedClient` reads the socket in large pieces: paho asks the socket for each
packet's first byte, each byte of its length and then its body, a system call each.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

HOUSEKEEPING_S = 1.0
PACKETS_PER_WAKE = 256
RECEIVE_BYTES = 65536
"""What one read of the socket asks for: some hundreds of small packets."""


class BufferedClient(mqtt.Client):
    """paho's client, its socket read ``RECEIVE_BYTES`` at a time and served from memory.

    paho reads a small PUBLISH with three or four ``recv`` calls, and asking whether more is
    waiting took a ``select`` per packet; together they were a quarter of a Sparkplug
    collector's time (measured by ``benchmarks/mqtt_ingest.py``). paho has no option to
    buffer its reads, so this overrides the one method through which it reads
    (``_sock_recv``, the same in paho 2.0 to 2.2; ``tests/connectors/test_mqtt_buffered_reads.py``
    checks that it is still there). What is kept belongs to one socket: a new connection starts
    empty.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept = b""
        self._kept_at = 0
        self._kept_from: Any = None

    def buffered(self) -> int:
        """Bytes read from the socket that paho has not taken yet."""
        return len(self._kept) - self._kept_at if self._kept_from is self.socket() else 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if not self.buffered():
            found = super()._sock_recv(RECEIVE_BYTES)  # BlockingIOError: nothing waiting
            self._kept, self._kept_at, self._kept_from = found, 0, self.socket()
            if not found:
                return found  # the broker closed the connection
        at = self._kept_at
        piece = self._kept[at : at + bufsize]
        self._kept_at = at + len(piece)
        return piece


class LoopAttachment:
    """The hooks that hand a paho client's socket to the running event loop.

    ``pause_reading`` leaves what the broker sends in the socket (TCP then holds the broker
    back) until ``resume_reading``: a consumer that falls behind keeps a bounded backlog.
    """

    def __init__(self, client: BufferedClient) -> None:
        self._client = client
        self._housekeeping: asyncio.Task[None] | None = None
        self._sock: Any = None
        self._paused = False
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._written

    def pause_reading(self) -> None:
        """Stop reading from the broker for now."""
        if not self._paused and self._sock is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._sock)
        self._paused = True

    def resume_reading(self) -> None:
        """Read again (including what the TLS layer may already hold)."""
        if self._paused and self._sock is not None:
            loop = asyncio.get_running_loop()
            loop.add_reader(self._sock, self._read_all)
            loop.call_soon(self._read_all)
        self._paused = False

    def _opened(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        loop = asyncio.get_running_loop()
        self._sock = sock
        if not self._paused:
            loop.add_reader(sock, self._read_all)
        self._housekeeping = loop.create_task(self._keep(client))

    def _closed(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._sock = None
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(sock)
        if self._housekeeping is not None:
            self._housekeeping.cancel()

    def _want_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        asyncio.get_running_loop().add_writer(sock, client.loop_write)

    def _written(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_writer(sock)

    def _read_all(self) -> None:
        """Read the packets that are waiting (paho reads one per call), a bounded number at a
        time so that other tasks get their turn."""
        for _ in range(PACKETS_PER_WAKE):
            if self._paused or self._sock is None:
                return
            if self._client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            if self._sock is None:
                return
            if not self._client.buffered() and not _more_to_read(self._sock):
                return
        asyncio.get_running_loop().call_soon(self._read_all)

    async def _keep(self, client: mqtt.Client) -> None:
        """Keep-alive pings and retries: paho's ``loop_misc`` once a second."""
        while client.loop_misc() == MQTTErrorCode.MQTT_ERR_SUCCESS:
            await asyncio.sleep(HOUSEKEEPING_S)


def _more_to_read(sock: Any) -> bool:
    """Whether a read would find data: in the TLS layer's buffer (which the event loop cannot
    see: the kernel socket may be empty) or on the socket."""
    pending = getattr(sock, "pending", None)
    if pending is not None and pending() > 0:
        return True
    return bool(select.select([sock], [], [], 0)[0])
