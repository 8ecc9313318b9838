"""smkit: smart-manufacturing readiness assessment and MES-integration kit."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("smkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
