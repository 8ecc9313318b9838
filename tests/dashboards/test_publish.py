"""`smkit dashboards publish` against a stand-in for Grafana's HTTP API (no Grafana server can
run here): the requests grafana-client sends, the folder by uid, and publishing twice changes
nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from smkit.dashboards.catalog import FOLDER_UID, dashboards
from smkit.dashboards.publish import PublishError, publish
from smkit.plant import load_plant
from smkit.simulators.catalog import SCENARIOS
from tests.cli.test_cli import smkit

PLANT = SCENARIOS / "injection-moulding" / "plant.yaml"
TOKEN = "glsa_stand_in_token"


class StandInGrafana(BaseHTTPRequestHandler):
    """Folders and dashboards kept in memory, as Grafana's API answers for them."""

    folders: dict[str, dict[str, Any]]
    stored: dict[str, dict[str, Any]]
    seen: list[tuple[str, str, Any]]

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append((self.command, self.path, body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"message": "invalid API key"})
        route = (self.command, *self.path.split("/")[2:])
        if route[:2] == ("GET", "folders") and len(route) == 3:
            found = self.folders.get(route[2])
            return (
                self._answer(200, found) if found else self._answer(404, {"message": "not found"})
            )
        if route[:2] == ("PUT", "folders") and route[2] in self.folders:
            self.folders[route[2]]["title"] = body["title"]
            return self._answer(200, self.folders[route[2]])
        if route == ("POST", "folders"):
            self.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"]}
            return self._answer(200, self.folders[body["uid"]])
        if route[:3] == ("GET", "dashboards", "uid"):
            kept = self.stored.get(route[3])
            return self._answer(200, kept) if kept else self._answer(404, {"message": "not found"})
        if route == ("POST", "dashboards", "db"):
            document = body["dashboard"]
            version = self.stored.get(document["uid"], {}).get("dashboard", {}).get("version", 0)
            self.stored[document["uid"]] = {
                "dashboard": {**document, "id": 7, "version": version + 1},
                "meta": {"folderUid": body["folderUid"]}}  # fmt: skip
            return self._answer(200, {"status": "success", "uid": document["uid"]})
        return self._answer(404, {"message": f"no route {self.command} {self.path}"})

    do_GET = do_POST = do_PUT = _handle  # noqa: N815 - http.server's names


@pytest.fixture
def grafana() -> Iterator[tuple[str, type[StandInGrafana]]]:
    handler = type("Handler", (StandInGrafana,), {"folders": {}, "stored": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_publish_against_a_grafana_stand_in_upserts_by_uid_and_twice_changes_nothing(
    grafana: tuple[str, type[StandInGrafana]],
) -> None:
    url, state = grafana
    plant = load_plant(PLANT)
    first = publish(plant, url, TOKEN, "Nhà máy ép phun")
    posted = [(m, p, b) for m, p, b in state.seen if m == "POST"]
    again = publish(plant, url, TOKEN, "Nhà máy ép phun")
    expected = dashboards(plant)
    assert [p.uid for p in first if p.changed] == [d["uid"] for d in expected.values()]
    assert not any(p.changed for p in again)
    assert posted[0] == ("POST", "/api/folders", {"title": "Nhà máy ép phun", "uid": FOLDER_UID})
    uploads = [b for _, path, b in posted if path == "/api/dashboards/db"]
    assert len(uploads) == len(expected)
    for body in uploads:
        assert body["folderUid"] == FOLDER_UID and body["overwrite"] is True
        assert body["dashboard"]["id"] is None
        assert {**body["dashboard"], "id": None} == {**expected[_file(body)], "id": None}
    assert [m for m, _, _ in state.seen].count("POST") == len(posted)  # none the second time
    renamed = publish(plant, url, TOKEN, "Injection moulding")
    assert not any(p.changed for p in renamed)
    assert state.folders == {FOLDER_UID: {"uid": FOLDER_UID, "title": "Injection moulding"}}


def _file(body: dict[str, Any]) -> str:
    return body["dashboard"]["uid"].removeprefix("smkit-") + ".json"


def test_a_wrong_token_or_no_grafana_is_a_clear_error(
    grafana: tuple[str, type[StandInGrafana]], tmp_path: Path
) -> None:
    url, _ = grafana
    plant = load_plant(PLANT)
    with pytest.raises(PublishError, match="refused: 401"):
        publish(plant, url, "wrong")
    with pytest.raises(PublishError, match="cannot be reached"):
        publish(plant, "http://127.0.0.1:9", TOKEN)
    done = smkit("dashboards", "publish", "--url", url, "--token-env", "SMKIT_NO_SUCH_VAR",
                 "--plant", str(PLANT))  # fmt: skip
    assert done.returncode == 2 and "SMKIT_NO_SUCH_VAR" in done.stderr
