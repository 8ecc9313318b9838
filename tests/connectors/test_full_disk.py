"""A full disk under the outbox is a fault like any other: during an MQTT stream from a real
Mosquitto, the outbox's own small filesystem (a tmpfs, mounted as root) is filled, then freed.
Nothing acknowledged is lost, the collector recovers by itself, and its log shows the outage
once and the recovery once."""

from __future__ import annotations

import asyncio
import errno
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from smkit.collector import Collector, health_records
from smkit.localservers import LocalMosquitto
from smkit.plant import load_plant
from tests.connectors.test_mqtt_collect import (
    collecting_plant,
    finished,
    served_keys,
    simulate,
    stored_keys,
)

DISK = "8m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own (root mounts one on these machines; without it the test fails)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (the test needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem has no byte left."""
    filler = disk / "filler"
    try:
        with filler.open("wb") as out:  # on a loaded machine the outbox may have filled it
            while True:
                out.write(b"\0" * 65536)
                out.flush()
    except OSError as error:
        assert error.errno == errno.ENOSPC
    return filler


async def test_a_full_outbox_disk_holds_the_stream_and_the_collector_recovers_by_itself(
    mosquitto_server: LocalMosquitto, tmp_path: Path, small_disk: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    plant_file = collecting_plant(tmp_path, mosquitto_server.url)
    document = yaml.safe_load(plant_file.read_text())
    document["outbox"] = {"path": str(small_disk / "outbox.db")}
    plant_file.write_text(yaml.safe_dump(document, allow_unicode=True))
    collector = Collector(load_plant(plant_file))
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    run = asyncio.create_task(collector.run(stop))
    source = collector.connectors[0].health
    while not source.connected:
        await asyncio.sleep(0.1)
    simulator = await simulate(mosquitto_server.url, tmp_path, "--speed", "600", "--duration",
                               "2h", "--seed", "12")  # fmt: skip
    try:
        await fill_and_free(simulator, collector, small_disk, tmp_path)
    finally:  # a failure here must not leave the stream running into the next test
        if simulator.returncode is None:
            simulator.kill()
            await simulator.wait()
        stop.set()
        await asyncio.wait_for(run, 60)
    said = [r.getMessage() for r in caplog.records if r.name.startswith("smkit")]
    assert len([m for m in said if "cannot be stored" in m]) == 1, said
    assert len([m for m in said if "storing again after" in m]) == 1, said
    assert len([m for m in said if m.startswith("Outbox cannot be written")]) == 1, said
    assert len([m for m in said if m == "Outbox writable again"]) == 1, said


async def fill_and_free(
    simulator: asyncio.subprocess.Process, collector: Collector, small_disk: Path, tmp_path: Path
) -> None:
    """Fill the outbox's disk while the stream flows, check nothing is acknowledged, free it,
    and check every value served is stored."""
    source = collector.connectors[0].health
    while source.messages < 200:  # the stream flows into the outbox
        await asyncio.sleep(0.05)
    filler = await asyncio.to_thread(fill, small_disk)
    for _ in range(300):
        if source.storage_error is not None:
            break
        await asyncio.sleep(0.1)
    assert source.storage_error is not None and "full" in source.storage_error
    held = source.messages
    await asyncio.sleep(3.0)
    assert source.messages == held  # nothing acknowledged while nothing can be stored
    health = await collector.health()
    assert health["sources"][0]["storage_error"] == source.storage_error
    (record,) = [r for r in health_records(health, collector.plant) if r.tags["part"] == "source"]
    assert record.fields["storing"] is False  # for the data-health dashboard, via the historian
    filler.unlink(missing_ok=True)  # the space comes back

    served, truth = await finished(simulator, tmp_path)
    want = served_keys(served)
    got = await stored_keys(tmp_path, truth, want)
    assert want - got == set(), f"{len(want - got)} of {len(want)} values lost"
    assert got == want
    assert source.storage_error is None
