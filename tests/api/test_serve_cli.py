"""``smkit serve`` in its own process, and ``smkit api-key`` create, list and revoke: a key made
by the CLI opens the API of a running server until the CLI revokes it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from smkit.localservers import free_port
from tests.cli.test_cli import plant_file, smkit


@contextmanager
def serving(plant: Path, *options: str) -> Iterator[str]:
    """``smkit serve`` on a free port until the block ends; its log goes to serve.log beside the
    plant."""
    port = free_port()
    with (plant.parent / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "smkit", "serve", "--plant", str(plant), "--port", str(port),
             *options], stderr=log)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, (plant.parent / "serve.log").read_text()
                try:
                    httpx.get(f"{url}/api/v1/health", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "smkit serve did not start"
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_a_key_from_the_cli_opens_the_api_until_it_is_revoked(tmp_path: Path) -> None:
    plant = plant_file(tmp_path)
    created = smkit("api-key", "create", "--plant", str(plant), "--role", "viewer",
                    "--name", "MES gateway")  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    assert key.startswith("smk_") and key_id in created.stdout.splitlines()[0]
    listed = smkit("api-key", "list", "--plant", str(plant)).stdout
    assert "MES gateway" in listed and "viewer" in listed and key not in listed
    assert key not in (tmp_path / "smkit-api.db").read_bytes().decode("latin-1")
    with serving(plant) as url:
        assert httpx.get(f"{url}/api/v1/plant", headers={"X-API-Key": key}).status_code == 200
        assert httpx.get(f"{url}/api/v1/plant").status_code == 401
        revoked = smkit("api-key", "revoke", key_id, "--plant", str(plant))
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        assert httpx.get(f"{url}/api/v1/plant", headers={"X-API-Key": key}).status_code == 401
        docs = httpx.get(f"{url}/docs")
        assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text
    log = (tmp_path / "serve.log").read_text()
    assert key not in log and key.split("_", 2)[2] not in log  # keys never appear in logs


def test_listening_beyond_loopback_warns_to_put_tls_in_front(tmp_path: Path) -> None:
    with serving(plant_file(tmp_path), "--host", "0.0.0.0"):
        pass
    assert "without TLS" in (tmp_path / "serve.log").read_text()


def test_key_mistakes_exit_2_with_what_is_allowed(tmp_path: Path) -> None:
    plant = str(plant_file(tmp_path))
    role = smkit("api-key", "create", "--plant", plant, "--role", "boss", "--name", "x")
    assert role.returncode == 2 and "allowed are viewer, operator" in role.stderr
    line = smkit("api-key", "create", "--plant", plant, "--role", "operator", "--name", "x",
                 "--line", "l9")  # fmt: skip
    assert line.returncode == 2 and "no such line (known: l1)" in line.stderr
    unknown = smkit("api-key", "revoke", "feedbeef", "--plant", plant)
    assert unknown.returncode == 1 and "no API key has the id 'feedbeef'" in unknown.stderr
    port = smkit("serve", "--plant", plant, "--port", "70000")
    assert port.returncode == 2 and "--port 70000" in port.stderr
