"""Where data is kept: the historian (SQLite file or InfluxDB) and the durable outbox before it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from smkit.plant.base import ConfigModel, DurationS, SizeBytes


def resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Relative paths in plant.yaml are relative to the file's own folder."""
    base = (info.context or {}).get("base_dir")
    return value if value.is_absolute() or base is None else Path(base) / value


class SqliteSettings(ConfigModel):
    """The embedded default: one SQLite file in WAL mode, one writer and many readers."""

    kind: Literal["sqlite"]
    path: Path = Field(default=Path("smkit.db"), validate_default=True)

    _resolve = field_validator("path")(resolve_path)


class InfluxSettings(ConfigModel):
    """InfluxDB through the v1 HTTP API: native on 1.x, served for compatibility by 2.x and 3.x.

    Authentication: ``username`` + ``password_env`` (1.x), or ``token_env`` (2.x / 3.x). Secrets
    are read from the named environment variables, never written in the file.
    """

    kind: Literal["influx"]
    url: str = "http://127.0.0.1:8086"
    database: str = "smkit"
    retention_policy: str | None = None
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    timeout_s: DurationS = 10.0
    batch_lines: int = Field(default=5000, gt=0, le=100_000)
    create_database: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")


HistorianSettings = Annotated[SqliteSettings | InfluxSettings, Field(discriminator="kind")]


class OutboxSettings(ConfigModel):
    """The on-disk store-and-forward buffer between connectors and the historian.

    When it reaches ``max_bytes``, ``when_full`` decides: ``drop_oldest`` makes room by discarding
    the oldest data (counted), ``reject_new`` refuses new data so that the producer (an MQTT
    broker keeping unacknowledged messages, say) holds it instead. Data older than ``max_age`` is
    discarded (counted) either way. Durations are held in seconds once parsed.
    """

    path: Path = Field(default=Path("smkit-outbox.db"), validate_default=True)
    max_bytes: SizeBytes = 1024**3
    max_age: DurationS = 7 * 86400.0
    when_full: Literal["drop_oldest", "reject_new"] = "drop_oldest"
    batch_samples: int = Field(default=5000, gt=0, le=100_000)
    retry_initial: DurationS = 0.5
    retry_max: DurationS = 30.0

    _resolve = field_validator("path")(resolve_path)
