"""How ``smkit serve`` listens and whom it lets in: the ``api`` section of plant.yaml."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from smkit.plant.base import ConfigModel, DurationS, SizeBytes
from smkit.plant.storage import resolve_path


class ApiSettings(ConfigModel):
    """The HTTP API's settings.

    The API keeps its own SQLite file (``store``): API keys (hashed), job orders and the audit
    trail of every write. Readiness assessments are files in ``assessments``, exactly as the CLI
    reads them. Reads without a key are refused
    unless ``anonymous_read`` says otherwise; writes always need a key. Browsers on other origins
    are refused unless listed in ``cors_origins``. The live status (``/status`` and the plant
    board) is computed once per ``status_refresh`` for every caller, so a board shows a change
    within about two seconds; the answers of other reads are shared for ``live_refresh``. A
    page session (signed in with a key) ends after
    ``session_idle`` without a request, and at once when its key is revoked.
    """

    store: Path = Field(default=Path("smkit-api.db"), validate_default=True)
    assessments: Path = Field(default=Path("assessments"), validate_default=True)
    anonymous_read: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: SizeBytes = Field(default=1024**2, gt=0)
    live_refresh: DurationS = Field(default=5.0, gt=0)
    status_refresh: DurationS = Field(default=1.0, gt=0)
    session_idle: DurationS = Field(default=12 * 3600.0, gt=0)

    _resolve = field_validator("store", "assessments")(resolve_path)
