"""The engine's compiled loops are made ready once for the session, so that compiling them
does not count against the time limit of whichever hypothesis example runs first."""

from __future__ import annotations

import pytest

from smkit.oee import kernels


@pytest.fixture(autouse=True, scope="session")
def compiled_kernels() -> None:
    kernels.prepare()
