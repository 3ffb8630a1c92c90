"""A closing writer builds the sidecar of a long session in the background (switch and
threshold in SESSLOG_AUTO_SIDECAR); the append promises do not change."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sesslog import Session
from sesslog.projections.sidecar import sidecar_folder
from sesslog.write import auto_sidecar


def _write(path: Path, count: int) -> Session:
    session = Session.create(path=path, durability="balanced")
    for number in range(count):
        session.append_user_message(f"message {number} " + "x" * 400)
    return session


def _wait_for_sidecar(path: Path, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (sidecar_folder(path) / "manifest.json").exists():
            return True
        time.sleep(0.1)
    return False


def test_the_switch_and_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auto_sidecar.ENVIRONMENT, raising=False)
    assert auto_sidecar.threshold() == auto_sidecar.DEFAULT_THRESHOLD
    for off in ("0", "off", "no", "false", "junk"):
        monkeypatch.setenv(auto_sidecar.ENVIRONMENT, off)
        assert auto_sidecar.threshold() is None
    monkeypatch.setenv(auto_sidecar.ENVIRONMENT, "4096")
    assert auto_sidecar.threshold() == 4096


def test_a_long_session_gets_its_sidecar_after_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(auto_sidecar.ENVIRONMENT, "20000")
    path = tmp_path / "long.jsonl"
    session = _write(path, 100)
    assert not sidecar_folder(path).exists()  # nothing before close
    context = session.context().to_json()
    session.close()
    assert _wait_for_sidecar(path)
    reopened = Session.open(path)
    assert reopened.store_kind.value == "v2_sidecar"
    assert reopened.context().to_json() == context
    # the file is the truth: appending after the build still works, and is read back
    reopened.append_user_message("after the sidecar")
    reopened.close()
    again = Session.open(path, sidecar=False)
    assert again.context().messages[-1]["content"] == "after the sidecar"


def test_no_build_below_the_threshold_when_off_or_when_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(auto_sidecar.ENVIRONMENT, "1000000")
    small = tmp_path / "small.jsonl"
    _write(small, 20).close()
    monkeypatch.setenv(auto_sidecar.ENVIRONMENT, "0")
    off = tmp_path / "off.jsonl"
    _write(off, 100).close()
    time.sleep(0.5)
    assert not sidecar_folder(small).exists() and not sidecar_folder(off).exists()
    monkeypatch.setenv(auto_sidecar.ENVIRONMENT, "1")
    started = auto_sidecar.maybe_build_sidecar(off, off.stat().st_size)
    assert started is not None and started.wait(60) == 0
    assert auto_sidecar.maybe_build_sidecar(off, off.stat().st_size) is None  # fresh
    assert auto_sidecar.maybe_build_sidecar(None, 10**9) is None  # no local file
