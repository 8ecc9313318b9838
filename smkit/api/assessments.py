"""Readiness assessments kept as files in the plant's ``api.assessments`` folder, one
``<id>.yaml`` each, exactly as ``smkit readiness`` reads them; written atomically."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi import HTTPException

from smkit.api.errors import NotFound
from smkit.core.wholefile import write_whole
from smkit.readiness.assessment import Assessment, assessment_problems, open_assessment
from smkit.readiness.framework import LoadedFramework, load_framework
from smkit.readiness.portfolio import Scored
from smkit.readiness.scoring import score

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def path_of(folder: Path, assessment_id: str) -> Path:
    return folder / f"{assessment_id}.yaml"


def read(folder: Path, assessment_id: str) -> tuple[LoadedFramework, Assessment]:
    """The assessment and its framework; 404 when there is no such file."""
    path = path_of(folder, assessment_id)
    if not path.exists():
        raise NotFound(f"no assessment {assessment_id!r} in {folder.name}/")
    return open_assessment(path)


def every(folder: Path) -> dict[str, Scored]:
    """Every assessment of the folder, scored, by id."""
    found = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    out = {}
    for path in found:
        loaded, assessment = open_assessment(path)
        out[path.stem] = Scored(assessment, score(loaded.framework, assessment))
    return out


def checked(assessment: Assessment) -> LoadedFramework:
    """The assessment's framework; a 422 with one entry per thing the framework does not allow,
    each naming its place in the body."""
    loaded = load_framework(assessment.framework.id)
    problems = assessment_problems(assessment, loaded)
    if problems:
        raise HTTPException(422, [{"loc": ["body", *loc], "msg": message, "type": "value_error"}
                                  for loc, message in problems])  # fmt: skip
    return loaded


def text_of(assessment: Assessment) -> str:
    """The assessment as the YAML file the CLI reads."""
    document = assessment.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def write(folder: Path, assessment_id: str, text: str) -> None:
    """Write the file whole or not at all."""
    write_whole(path_of(folder, assessment_id), text)
