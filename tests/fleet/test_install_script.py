"""The installer of the test servers: idempotent sections, failures recorded with their reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from servers import REPO_ROOT, install_failure

SCRIPT = REPO_ROOT / "scripts" / "install-test-deps.sh"


def run(*sections: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *sections],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
        check=False,
    )


def test_a_failed_section_says_why_and_leaves_the_reason_for_the_tests(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {"PYTHON": str(tmp_path / "no-venv" / "bin" / "python"), "TEST_DEPS_STATE": str(state)}
    done = run("seaweedfs", "nonsense", env=env)
    assert done.returncode == 0  # tolerant: the tests skip instead
    assert "seaweedfs: not installed: no Python at" in done.stderr
    assert "unknown section 'nonsense'" in done.stderr
    reason = (state / "seaweedfs.failed").read_text()
    assert reason.startswith("no Python at")
    assert install_failure("seaweedfs", state) == reason.strip()


def test_an_installed_section_is_a_quick_no_op_and_clears_an_old_failure(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "postgresql.failed").write_text("an older failure\n")
    env = {"PYTHON": sys.executable, "TEST_DEPS_STATE": str(state)}
    done = run("postgresql", env=env)
    assert done.returncode == 0
    if "not installed" in done.stderr:  # a machine without the server and without root
        assert (state / "postgresql.failed").read_text() != "an older failure\n"
    else:
        assert "postgresql: postgres (PostgreSQL)" in done.stderr
        assert not (state / "postgresql.failed").exists()
