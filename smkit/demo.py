"""``make demo``: set up a working folder from the example plant and walk through smkit.

It validates the example plant, opens the embedded SQLite historian and the outbox the plant
names, lists the simulated pilot factories, and runs one for a simulated day, writing its exact
ground truth. Collecting from the simulators over OPC UA and MQTT joins once they serve.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
    print(
        f"\nThe exact ground truth of that simulated day is in {truth}."
        "\nNext: edit demo-data/plant.yaml for your machines and run `smkit validate` on it."
        "\nCollecting from the simulated factories over OPC UA and MQTT, and computing OEE from"
        " what was collected, arrive with the connector and OEE work."
    )


if __name__ == "__main__":
    main()
