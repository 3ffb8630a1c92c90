"""The pi harness (``fixtures/pi_node.py``): clear reasons where node is missing, one install
per version reused, and the comparison benchmark's exit without node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.pi_node import PACKAGE, PiUnavailable, install, missing_tools

ROOT = Path(__file__).resolve().parents[2]


def _bin_with(folder: Path, tools: dict[str, str]) -> str:
    """A PATH holding only the given tools (name -> shell script body, or "" for the real one)."""
    folder.mkdir()
    for name, body in tools.items():
        target = folder / name
        if body:
            target.write_text(f"#!/bin/sh\n{body}\n")
            target.chmod(0o755)
        else:
            real = shutil.which(name)
            if real is None:
                pytest.skip(f"skipped: {name} not found")
            target.symlink_to(real)
    return str(folder)


def test_missing_node_is_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _bin_with(tmp_path / "bin", {}))
    assert missing_tools() == "skipped: node not found"
    with pytest.raises(PiUnavailable) as raised:
        install("0.58.3")
    assert raised.value.reason == "skipped: node not found"


def test_missing_npm_is_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _bin_with(tmp_path / "bin", {"node": ""}))
    assert missing_tools() == "skipped: npm not found"
    with pytest.raises(PiUnavailable, match="npm not found"):
        install("latest")


def test_an_installed_version_is_reused_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    manifest = cache / "0.58.3" / "node_modules" / PACKAGE / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"name": PACKAGE, "version": "0.58.3"}))
    monkeypatch.setenv("SESSLOG_PI_CACHE", str(cache))
    path = _bin_with(tmp_path / "bin", {"node": "", "npm": "echo npm was called >&2; exit 1"})
    monkeypatch.setenv("PATH", path)
    pi = install("0.58.3")
    assert pi.folder == cache / "0.58.3"
    assert pi.package_dir == manifest.parent


def test_a_failed_install_names_npm_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SESSLOG_PI_CACHE", str(cache))
    npm = "echo 'npm ERR! 404 Not Found' >&2; exit 1"
    monkeypatch.setenv("PATH", _bin_with(tmp_path / "bin", {"node": "", "npm": npm}))
    with pytest.raises(PiUnavailable, match="404 Not Found"):
        install("0.0.0-missing")
    assert not (cache / "0.0.0-missing").exists()
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".0.0.0-missing.lock")] == []


def test_compare_pi_without_node_says_so_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": _bin_with(tmp_path / "bin", {})}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare_pi.py"), "--quick"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "skipped: node not found" in done.stdout
