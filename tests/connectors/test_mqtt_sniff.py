"""``smkit mqtt sniff`` against Mosquitto, with the simulator publishing JSON and Sparkplug B."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from smkit.localservers import LocalMosquitto, free_port
from tests.cli.test_cli import smkit


async def run(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip


async def sniffed(broker: LocalMosquitto, topic_filter: str, fmt: str) -> list[str]:
    sniffer = await run("mqtt", "sniff", broker.url, topic_filter, "--count", "30",
                        "--seconds", "30")  # fmt: skip
    await asyncio.sleep(1.5)  # subscribed
    simulator = await run("simulate", "mqtt", "-s", "injection-moulding", "--broker", broker.url,
                          "--format", fmt, "--speed", "max", "--duration", "5m")  # fmt: skip
    out, err = await sniffer.communicate()
    await simulator.communicate()
    assert sniffer.returncode == 0, err.decode()
    assert err.decode().strip() == "30 message(s)"
    return out.decode().splitlines()


async def test_sniff_decodes_json_and_sparkplug(mosquitto_server: LocalMosquitto) -> None:
    json_lines = await sniffed(mosquitto_server, "im-shop/#", "json")
    assert len(json_lines) == 30
    assert any(
        line.startswith('im-shop/moulding/presses/press-01/mode  qos1  {"value":')
        for line in json_lines
    )
    spb = await sniffed(mosquitto_server, "spBv1.0/#", "sparkplug")
    assert spb[0].startswith("spBv1.0/im-shop/NBIRTH/presses  qos0  seq=0 ")
    assert "bdSeq=0 (int64)" in spb[0] and "Node Control/Rebirth=False (boolean)" in spb[0]
    assert any("/DDATA/presses/press-0" in line and "#" in line for line in spb)


def test_sniff_an_unreachable_broker_is_one_clear_line() -> None:
    result = smkit("mqtt", "sniff", f"mqtt://127.0.0.1:{free_port()}", "#", "--seconds", "1")
    assert result.returncode == 1 and "cannot reach the MQTT broker" in result.stderr
    assert "Traceback" not in result.stderr
