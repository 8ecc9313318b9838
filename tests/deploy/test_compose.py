"""The compose stack, checked without a Docker engine (none runs here): docker-compose.yml
against the Compose Specification's schema, the Dockerfile through hadolint, and the stack's
parts against each other: mounted files exist, every variable has its line in .env.example and
no default there, ports and addresses agree with the plant files and the provisioning."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from smkit.dashboards.catalog import datasource_file, provider_file
from smkit.plant import load_plant

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "docker-compose.yml"
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return found


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def tool(name: str) -> str:
    return str(Path(sys.executable).parent / name) if shutil.which(name) is None else name


def test_the_compose_file_fits_the_compose_specification() -> None:
    done = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                           str(COMPOSE)], check=False, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dockerfile_passes_hadolint() -> None:
    done = subprocess.run([tool("hadolint"), str(ROOT / "Dockerfile")], check=False,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", (ROOT / "Dockerfile").read_text(), re.M)
    assert copied and all((ROOT / p).exists() for line in copied for p in line.split())


def test_every_mounted_file_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in compose["volumes"], (name, source)


def test_every_variable_is_in_env_example_without_a_value(compose: dict[str, Any]) -> None:
    used = set(VARIABLE.findall(COMPOSE.read_text()))
    listed = env_example()
    assert used == set(listed), used ^ set(listed)
    assert all(value == "" for value in listed.values()), "no usable default password"
    for plant_file in ("plant-full.yaml", "plant-embedded.yaml"):
        text = (ROOT / "deploy" / plant_file).read_text()
        needed = set(re.findall(r"password_env: (\w+)", text))
        for service in ("collector", "api"):
            given = compose["services"][service]["environment"]
            assert needed <= set(given), (plant_file, needed - set(given))


def test_ports_and_addresses_agree_with_the_plants_and_the_provisioning(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    secrets = {name: "x" for name in env_example()}
    full = load_plant(ROOT / "deploy" / "plant-full.yaml", environ=secrets)
    embedded = load_plant(ROOT / "deploy" / "plant-embedded.yaml", environ=secrets)
    assert embedded.historian.kind == "sqlite" and full.historian.kind == "influx"
    historian = urlsplit(str(full.historian.url))
    assert historian.hostname in services and f"{historian.port}:{historian.port}" in services[
        historian.hostname]["ports"]  # fmt: skip
    assert services["grafana"]["environment"]["SMKIT_INFLUX_URL"] == str(full.historian.url)
    (source,) = full.sources
    broker = urlsplit(str(source.url))
    assert broker.hostname in services and f"{broker.port}:{broker.port}" in services[
        broker.hostname]["ports"]  # fmt: skip
    for name in ("api", "api-embedded"):
        command = services[name]["command"]
        port = command[command.index("--port") + 1]
        assert f"{port}:{port}" in services[name]["ports"]
        assert f"127.0.0.1:{port}/api/v1/health" in str(services[name]["healthcheck"]["test"])
    mounts = [v.split(":")[1] for v in services["grafana"]["volumes"]]
    (provider,) = provider_file("/var/lib/grafana/dashboards/smkit")["providers"]
    assert provider["options"]["path"] in mounts
    (datasource,) = datasource_file()["datasources"]
    used = set(VARIABLE.findall(yaml.safe_dump(datasource)))
    assert used <= set(services["grafana"]["environment"]), used
    for plant_path in ("/etc/smkit/plant-full.yaml", "/etc/smkit/plant-embedded.yaml"):
        assert any(plant_path in s.get("command", []) for s in services.values())
