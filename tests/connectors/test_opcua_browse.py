"""``smkit opcua browse`` and ``scaffold`` against the simulator's server, as a user runs them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

from smkit.localservers import free_port
from smkit.plant import load_plant
from smkit.simulators.catalog import find_scenario
from smkit.simulators.chaos import ChaosLog
from smkit.simulators.opcua_options import OpcUaOptions
from smkit.simulators.opcua_server import SimulatedOpcUaServer
from tests.cli.test_cli import smkit
from tests.plant.test_loader import MINIMAL

NSU = "nsu=urn:smkit:sim:cnc-cell"


async def smkit_async(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smkit", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_browse_shows_the_tree_and_scaffold_writes_a_valid_machine_block(
    tmp_path: Path,
) -> None:
    cnc = find_scenario("cnc-cell")
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    server = SimulatedOpcUaServer(cnc.plant, "cnc-cell", OpcUaOptions(endpoint), ChaosLog())
    await server.start()
    try:
        code, tree, err = await smkit_async(
            "opcua", "browse", endpoint, "--node", "/Objects/cnc-cell", "--depth", "4"
        )
        assert code == 0, err
        lathe = f"{NSU};s=cnc-cell/machining/cell-1/lathe-01"
        code, block, err = await smkit_async(
            "opcua",
            "scaffold",
            endpoint,
            "--node",
            lathe,
            "--machine",
            "lathe-01",
            "--source",
            "cell",
        )
        assert code == 0, err
    finally:
        await server.stop()
    assert f"lathe-01  {NSU};s=cnc-cell/machining/cell-1/lathe-01" in tree
    assert f"spindle_speed  {NSU};s=lathe-01.SpindleSpeed  Double [rpm]" in tree
    machines = yaml.safe_load(block)
    signals = {s["name"]: s for s in machines[0]["signals"]}
    address = f"{NSU};s=lathe-01.PartsTotal"
    assert signals["parts_total"] == {"name": "parts_total", "type": "int", "address": address}
    assert signals["coolant_temp"]["unit"] == "degC" and "type" not in signals["coolant_temp"]
    plant = yaml.safe_load(MINIMAL)
    plant["site"]["areas"][0]["lines"][0]["machines"] = machines
    plant["sources"] = [{"id": "cell", "kind": "opcua", "endpoint": endpoint}]
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(plant, allow_unicode=True))
    assert [m.id for _, m in load_plant(path).machines()] == ["lathe-01"]


def test_browse_errors_are_one_clear_line() -> None:
    unreachable = smkit("opcua", "browse", f"opc.tcp://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 1 and "connection refused" in unreachable.stderr
    bad_node = smkit("opcua", "browse", "opc.tcp://127.0.0.1:4840", "--node", "ns=2;i=x")
    assert bad_node.returncode == 2 and "malformed NodeId 'ns=2;i=x'" in bad_node.stderr
    for result in (unreachable, bad_node):
        assert "Traceback" not in result.stderr


async def test_a_node_that_does_not_exist_or_holds_no_variables_is_named_exit_2() -> None:
    cnc = find_scenario("cnc-cell")
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    server = SimulatedOpcUaServer(cnc.plant, "cnc-cell", OpcUaOptions(endpoint), ChaosLog())
    await server.start()
    try:
        missing = f"{NSU};s=no-such-machine"
        browsed = await smkit_async("opcua", "browse", endpoint, "--node", missing)
        scaffolded = await smkit_async("opcua", "scaffold", endpoint, "--node", "ns=0;i=999999",
                                       "--machine", "m1")  # fmt: skip
        folder = await smkit_async("opcua", "scaffold", endpoint, "--node", "/Objects/cnc-cell",
                                   "--machine", "m1")  # fmt: skip
    finally:
        await server.stop()
    code, out, err = browsed
    assert code == 2 and out == "" and "the server has no node" in err and "no-such-machine" in err
    code, out, err = scaffolded
    assert code == 2 and out == "" and "the server has no node i=999999" in err
    code, out, err = folder
    assert code == 2 and "no variables directly under it" in err
    for _, _, err in (browsed, scaffolded, folder):
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
