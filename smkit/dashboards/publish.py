"""Publishing the dashboards to a running Grafana through its HTTP API (grafana-client): the
smkit folder by its uid, then each dashboard by its uid, overwritten only when it differs, so
publishing twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaServerError

from smkit.dashboards.catalog import FOLDER_UID, dashboards
from smkit.errors import SmkitError
from smkit.plant.model import Plant

UNSTORED = ("id", "version")
"""What Grafana adds to a dashboard it stores (left out when comparing)."""


class PublishError(SmkitError):
    """Grafana refused or could not be reached (the message says which and why)."""


@dataclass(frozen=True)
class Published:
    uid: str
    changed: bool


def publish(plant: Plant, url: str, token: str, folder: str = "smkit") -> list[Published]:
    """Upsert the smkit folder and every dashboard; what changed."""
    api = GrafanaApi.from_url(url, credential=token, timeout=30)
    try:
        with _wrapped(url):
            _ensure_folder(api, folder)
            return [_upsert(api, document) for document in dashboards(plant).values()]
    finally:
        api.client.s.close()  # its requests session


def _ensure_folder(api: GrafanaApi, title: str) -> None:
    try:
        found = api.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        api.folder.create_folder(title, uid=FOLDER_UID)
        return
    if found.get("title") != title:
        api.folder.update_folder(FOLDER_UID, title=title, overwrite=True)


def _upsert(api: GrafanaApi, document: dict[str, Any]) -> Published:
    try:
        stored = api.dashboard.get_dashboard(document["uid"])
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        stored = None
    if stored is not None and _same(stored, document):
        return Published(document["uid"], changed=False)
    api.dashboard.update_dashboard({"dashboard": {**document, "id": None},
                                    "folderUid": FOLDER_UID, "overwrite": True,
                                    "message": "smkit dashboards publish"})  # fmt: skip
    return Published(document["uid"], changed=True)


def _same(stored: dict[str, Any], document: dict[str, Any]) -> bool:
    kept = {k: v for k, v in stored.get("dashboard", {}).items() if k not in UNSTORED}
    return kept == document and stored.get("meta", {}).get("folderUid") == FOLDER_UID


@contextmanager
def _wrapped(url: str) -> Iterator[None]:
    """grafana-client's and requests' errors as smkit's."""
    try:
        yield
    except GrafanaClientError as error:
        raise PublishError(f"Grafana at {url} refused: {error.status_code} {error.message}"
                           ) from error  # fmt: skip
    except GrafanaServerError as error:
        raise PublishError(f"Grafana at {url} failed: {error}") from error
    except OSError as error:  # requests' errors are OSErrors: refused, timed out, no such host
        raise PublishError(f"Grafana at {url} cannot be reached: {error}") from error
