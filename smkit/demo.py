"""``make demo``: set up a working folder from the example plant and check it end to end.

It validates the example plant, opens the embedded SQLite historian and the outbox the plant
names, and shows their state. Simulated factories to collect from are the next step (the
simulators); this demo will run them once they exist.
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
    print(
        "\nNext: edit demo-data/plant.yaml for your machines and run `smkit validate` on it."
        "\nCollection from OPC UA and MQTT and the simulated pilot factories arrive with the"
        " connector and simulator work; this demo will then run a simulated factory end to end."
    )


if __name__ == "__main__":
    main()
