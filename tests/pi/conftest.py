"""pi itself, installed once into the cache, for the compatibility tests.

The ``pi`` fixture runs every test against pi 0.58.3 (the version the format contract was read
from) and against the newest pi on the npm registry. Where ``node`` or ``npm`` is missing the
tests are skipped with that reason; anywhere else a failed install is an error, not a skip.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fixtures.pi_node import PINNED_VERSION, PiInstall, install, missing_tools  # noqa: E402

#: The pi versions every compatibility test runs against.
PI_VERSIONS = (PINNED_VERSION, "latest")


@pytest.fixture(scope="session", params=PI_VERSIONS, ids=[f"pi-{v}" for v in PI_VERSIONS])
def pi(request: pytest.FixtureRequest) -> PiInstall:
    """An installed pi (skips only when node or npm is missing)."""
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    spec: str = request.param
    return install(spec)
