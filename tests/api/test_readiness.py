"""Readiness over the API: frameworks, an assessment saved as the CLI's file, its score equal to
``smkit readiness score``, its report in vi and en, the portfolio; mistakes named in the body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from smkit.api.app import create_app
from smkit.api.keys import KeyStore
from smkit.api.roles import Role
from smkit.plant import load_plant
from tests.api.conftest import ServerThread
from tests.cli.test_cli import plant_file, smkit

EXAMPLES = Path(__file__).parents[2] / "examples" / "readiness"


@pytest.fixture
def readiness_api(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A server of its own per test: each starts from an empty assessments folder."""
    folder = tmp_path
    plant = load_plant(plant_file(folder))
    store = KeyStore(plant.api.store)
    keys = {role.value: store.create(role.value, role)[1] for role in Role}
    with ServerThread(create_app(plant)) as url:
        yield url, keys, plant.api.assessments


def example(name: str) -> dict[str, Any]:
    """An example assessment as a client sends it: JSON, dates as ISO text."""
    document: dict[str, Any] = json.loads(json.dumps(yaml.safe_load((EXAMPLES / name).read_text()),
                                                     default=str))  # fmt: skip
    return document


def test_an_assessment_is_saved_as_the_cli_reads_it_and_scored_alike(
    readiness_api: tuple[str, dict[str, str], Path],
) -> None:
    url, keys, folder = readiness_api
    document = example("an-phat-plastics-2026.yaml")
    consultant = {"X-API-Key": keys["consultant"]}
    with httpx.Client(base_url=url, timeout=120, headers=consultant) as client:
        saved = client.put("/api/v1/readiness/assessments/an-phat-2026", json=document)
        again = client.put("/api/v1/readiness/assessments/an-phat-2026", json=document)
        fetched = client.get("/api/v1/readiness/assessments/an-phat-2026").json()
        scored = client.get("/api/v1/readiness/assessments/an-phat-2026/score").json()
        listed = client.get("/api/v1/readiness/assessments").json()
        frameworks = client.get("/api/v1/readiness/frameworks").json()
    assert saved.status_code == 200, saved.text
    assert saved.json()["changed"] and not again.json()["changed"]
    assert fetched["facility"]["name"] == document["facility"]["name"]
    assert fetched["ratings"].keys() == document["ratings"].keys()
    cli = smkit("readiness", "score", str(folder / "an-phat-2026.yaml"), "--format", "json")
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    assert scored["overall"] == expected["overall"] and scored["minimum"] == expected["minimum"]
    assert {d: r["band"] for d, r in scored["dimensions"].items()} == {
        d: r["band"] for d, r in expected["dimensions"].items()
    }
    assert [a["id"] for a in listed] == ["an-phat-2026"]
    assert any(f["id"] == "smr-vn" and f["name"]["vi"] and f["name"]["en"] for f in frameworks)


def test_the_report_comes_in_vietnamese_and_english(
    readiness_api: tuple[str, dict[str, str], Path],
) -> None:
    url, keys, _ = readiness_api
    with httpx.Client(base_url=url, timeout=120, headers={"X-API-Key": keys["viewer"]}) as client:
        client.headers["X-API-Key"] = keys["consultant"]
        client.put("/api/v1/readiness/assessments/saigon-2026",
                   json=example("saigon-precision-2026.yaml"))  # fmt: skip
        client.put("/api/v1/readiness/assessments/an-phat-2026",
                   json=example("an-phat-plastics-2026.yaml"))  # fmt: skip
        client.headers["X-API-Key"] = keys["viewer"]
        vi = client.get("/api/v1/readiness/assessments/saigon-2026/report", params={"lang": "vi"})
        en = client.get("/api/v1/readiness/assessments/saigon-2026/report",
                        params={"lang": "en", "format": "md"})  # fmt: skip
        data = client.get("/api/v1/readiness/assessments/saigon-2026/report",
                          params={"format": "json"})  # fmt: skip
        programme = client.get("/api/v1/readiness/portfolio").json()
    assert vi.headers["content-type"].startswith("text/html") and 'lang="vi"' in vi.text
    assert en.headers["content-type"].startswith("text/markdown")
    assert en.text.startswith("# Smart manufacturing readiness report")
    assert data.json()["lang"] == "vi"
    assert programme["enterprises"] == 2


def test_an_assessment_the_framework_does_not_allow_is_a_422_at_its_place(
    readiness_api: tuple[str, dict[str, str], Path],
) -> None:
    url, keys, folder = readiness_api
    document = example("an-phat-plastics-2026.yaml")
    document["ratings"]["no.such.criterion"] = {"rating": "met"}
    with httpx.Client(base_url=url, timeout=120, headers={"X-API-Key": keys["consultant"]}) as c:
        wrong = c.put("/api/v1/readiness/assessments/wrong", json=document)
        missing = c.put("/api/v1/readiness/assessments/wrong", json={"assessor": "x"})
        none = c.get("/api/v1/readiness/assessments/nobody/score")
    assert wrong.status_code == 422, wrong.text
    assert ["body", "ratings", "no.such.criterion"] in [p["loc"] for p in wrong.json()["detail"]]
    assert missing.status_code == 422
    assert none.status_code == 404
    assert not (folder / "wrong.yaml").exists()
