"""``make demo``: set up a working folder from the example plant and walk through smkit.

It validates the example plant, opens the embedded SQLite historian and the outbox the plant
names, lists the simulated pilot factories, runs one for a simulated day writing its exact
ground truth, and serves an hour of it over OPC UA as fast as a client could read it.
It ends with how to collect a simulated factory with ``smkit collect``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from smkit.localservers import free_port

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plant.yaml"


def run(*args: str) -> None:
    """Run one smkit command as a user would, echoing it first."""
    print(f"\n$ smkit {' '.join(args)}", flush=True)
    result = subprocess.run([sys.executable, "-m", "smkit", *args], check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main(folder: Path = Path("demo-data")) -> None:
    """Copy the example plant into ``folder`` and walk through what the foundation offers."""
    folder.mkdir(exist_ok=True)
    plant = folder / "plant.yaml"
    if not plant.exists():
        shutil.copy(EXAMPLE, plant)
    print(f"smkit demo: working folder {folder}/ (plant.yaml copied from examples/)")
    run("version")
    run("validate", str(plant))
    run("historian", "ping", "--plant", str(plant))
    run("historian", "latest", "--plant", str(plant))
    run("outbox", "status", "--plant", str(plant))
    run("simulate", "list")
    truth = folder / "cnc-cell-truth.json"
    run("simulate", "truth", "--scenario", "cnc-cell", "--duration", "1d", "--truth", str(truth))
    values = folder / "cnc-cell-values.jsonl"
    run(
        "simulate", "opcua", "--scenario", "cnc-cell", "--duration", "1h", "--speed", "max",
        "--endpoint", f"opc.tcp://127.0.0.1:{free_port()}", "--values", str(values),
    )  # fmt: skip
    print(
        f"\nThe exact ground truth of that simulated day is in {truth};"
        f" every value the OPC UA server served is in {values}."
        "\nServe it live for a client with: smkit simulate opcua -s cnc-cell --speed 60"
        "\nNext: edit demo-data/plant.yaml for your machines and run `smkit validate` on it."
        "\nCollect a simulated factory as you would a real one: run"
        " `smkit simulate opcua -s cnc-cell --speed 60` and, beside it,"
        " `smkit collect --plant <a copy of smkit/simulators/scenarios/cnc-cell/plant.yaml>`;"
        " `smkit status` shows what it does. OEE from the collected data comes with the OEE work."
    )


if __name__ == "__main__":
    main()
