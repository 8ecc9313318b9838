"""An MES talking to smkit over its HTTP API, with nothing but httpx.

It does what an MES and the people around a line do in a shift: the MES creates a job order and
starts it on a machine; an operator gives a stop its reason and splits another; QA records
units found to be scrap; then the MES reads the shift's OEE back. Every request is safe to send
again (after a timeout, say): a replay changes nothing, and the answer says so (``changed``).

    export SMKIT_API_KEY=smk_...          # smkit api-key create --role integrator --name MES
    python examples/mes_client.py --url http://127.0.0.1:8080 --machine press-01 \\
        --order WO-2026-0042 --product cap-28mm --quantity 12000 --start 2026-11-23T06:00 \\
        --stop 2026-11-23T07:12:30 --stop-reason A-24 --split-at 2026-11-23T07:20 \\
        --split-reason A-31 --finding-at 2026-11-23T09:00 --scrap 48 \\
        --shift-from 2026-11-23T06:00 --shift-to 2026-11-23T14:00

Times are the site's local time. Each step prints one JSON line; the last one is the shift.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx


def send(client: httpx.Client, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """One write; stop with smkit's own words when it refuses."""
    answer = client.request(method, path, json=body)
    if answer.status_code >= 400:
        sys.exit(f"{method} {path}: {answer.status_code} {answer.text}")
    found: dict[str, Any] = answer.json()
    return found


def run(client: httpx.Client, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The shift's requests, in order; what each answered."""
    order = f"/api/v1/orders/{args.order}"
    steps = [
        send(client, "PUT", order, {"machine": args.machine, "product": args.product,
                                    "planned_quantity": args.quantity}),
        send(client, "POST", f"{order}/start", {"at": args.start}),
        send(client, "POST", "/api/v1/stop-reasons", {"machine": args.machine, "at": args.stop,
                                                      "reason": args.stop_reason}),
        send(client, "POST", "/api/v1/stop-reasons", {"machine": args.machine,
                                                      "at": args.split_at,
                                                      "reason": args.split_reason}),
        send(client, "POST", "/api/v1/findings", {"machine": args.machine,
                                                  "at": args.finding_at, "scrap": args.scrap}),
    ]  # fmt: skip
    shift = client.get("/api/v1/oee", params={"machine": args.machine, "from": args.shift_from,
                                             "to": args.shift_to, "by": "window"})  # fmt: skip
    shift.raise_for_status()
    return [*steps, *shift.json()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    for name in ("machine", "order", "product", "start", "stop", "stop-reason", "split-at",
                 "split-reason", "finding-at", "shift-from", "shift-to"):  # fmt: skip
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--quantity", type=int, required=True)
    parser.add_argument("--scrap", type=int, required=True)
    args = parser.parse_args()
    key = os.environ.get("SMKIT_API_KEY")
    if not key:
        sys.exit("set SMKIT_API_KEY to an integrator key (smkit api-key create --role integrator)")
    with httpx.Client(base_url=args.url, headers={"Authorization": f"Bearer {key}"},
                      timeout=120) as client:  # fmt: skip
        for answer in run(client, args):
            print(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    main()
