"""The one exception tree of smkit.

Every error smkit raises on purpose derives from :class:`SmkitError`; third-party exceptions are
wrapped where they enter our code (``raise ... from exc``)::

    SmkitError
    ├── ConfigError              a user's configuration is wrong (CLI exit code 2)
    ├── HistorianError           the historian failed
    │   ├── HistorianUnavailable     cannot reach it, or it is overloaded: retry later
    │   ├── PayloadTooLarge          the request was too large: split it and retry
    │   └── WriteRejected            the data itself was refused: retrying cannot help
    ├── OutboxError              the durable outbox failed
    │   └── OutboxFull               the outbox is full and its policy is to refuse new data
    └── PayloadError             a message from a machine cannot be read (dead-lettered)
"""

from __future__ import annotations


class SmkitError(Exception):
    """Base of every error smkit raises on purpose."""


class ConfigError(SmkitError):
    """A configuration file (or value) is wrong; the message says where and what is allowed.

    ``problems`` holds one line per problem, each already formatted as
    ``file:line:col: yaml.path: message``.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class HistorianError(SmkitError):
    """The historian (SQLite file or InfluxDB server) failed."""


class HistorianUnavailable(HistorianError):
    """The historian cannot be reached or is overloaded (connection error, 429, 5xx).

    ``retry_after_s`` carries the server's Retry-After hint when it gave one.
    """

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PayloadTooLarge(HistorianError):
    """The historian refused a request because of its size (HTTP 413): split and retry."""


class WriteRejected(HistorianError):
    """The historian refused the data itself (bad type, bad name, 400); retrying cannot help."""


class OutboxError(SmkitError):
    """The durable outbox failed (disk, corruption)."""


class OutboxFull(OutboxError):
    """The outbox reached its size bound and its policy is ``reject_new``."""


class PayloadError(SmkitError):
    """A message from a machine or gateway cannot be read; the message says why."""
