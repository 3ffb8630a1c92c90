"""``sesslog share`` and ``sesslog unshare`` end to end, binary and text, with a password."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from export_samples import branched_session, run_cli

from sesslog.cli.interop_export import parse_expiry
from sesslog.format.timestamps import iso_to_ms


@pytest.fixture
def session_file(tmp_path: Path, lines: Any) -> Path:
    path = tmp_path / "s.jsonl"
    path.write_bytes(branched_session(lines))
    return path


def test_share_then_unshare(session_file: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b.sesslog-bundle"
    done = run_cli(
        "share", str(session_file), "-o", str(bundle), "--title", "My run", "--tag", "x", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["encrypted"] is False
    info = run_cli("unshare", str(bundle), "--info", "--json")
    assert json.loads(info.stdout)["title"] == "My run"
    root = tmp_path / "root"
    done = run_cli("unshare", str(bundle), "--root", str(root), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["path"]).read_bytes().startswith(session_file.read_bytes())
    assert Path(result["path"]).parent.parent == root
    again = run_cli("unshare", str(bundle), "--root", str(root))
    assert again.returncode == 1 and b"already in the store" in again.stderr


def test_text_form_through_a_pipe_with_a_password(session_file: Path, tmp_path: Path) -> None:
    password = tmp_path / "pw.txt"
    password.write_text("open sesame\n")
    text = run_cli("share", str(session_file), "--text", "--password-file", str(password))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(b"-----BEGIN SESSLOG BUNDLE-----")
    root = tmp_path / "root"
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("guess\n")
    refused = run_cli(
        "unshare", "-", "--root", str(root), "--password-file", str(wrong), stdin=text.stdout
    )
    assert refused.returncode == 1 and b"wrong password" in refused.stderr
    done = run_cli(
        "unshare",
        "-",
        "--password-file",
        str(password),
        stdin=text.stdout,
        env={"SESSLOG_ROOT": str(root)},
    )
    assert done.returncode == 0, done.stderr
    assert b"imported 'Viewer sample'" in done.stdout
    (imported,) = root.rglob("*.jsonl")
    assert json.loads(imported.read_bytes().splitlines()[-1])["data"]["file"] == "<stdin>"


def test_terms_are_enforced(session_file: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    expired = tmp_path / "old.sesslog-bundle"
    run_cli("share", str(session_file), "-o", str(expired), "--expires", "2001-01-01T00:00:00Z")
    done = run_cli("unshare", str(expired), "--root", str(root))
    assert done.returncode == 1 and b"expired at 2001-01-01T00:00:00" in done.stderr
    view_only = tmp_path / "view.sesslog-bundle"
    run_cli("share", str(session_file), "-o", str(view_only), "--no-fork", "--expires", "7d")
    done = run_cli("unshare", str(view_only), "--root", str(root))
    assert done.returncode == 1 and b"allow-fork is off" in done.stderr
    assert not root.exists() or list(root.rglob("*.jsonl")) == []
    page = run_cli("export", str(view_only), "--format", "html")
    assert page.returncode == 0 and page.stdout.startswith(b"<!DOCTYPE html>")
    bad = run_cli("share", str(session_file), "--expires", "soon")
    assert bad.returncode == 2 and b"neither a duration" in bad.stderr


def test_damaged_bundle_exits_corrupt(session_file: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b.sesslog-bundle"
    run_cli("share", str(session_file), "-o", str(bundle))
    blob = bundle.read_bytes()
    bundle.write_bytes(blob[:-10])
    done = run_cli("unshare", str(bundle), "--root", str(tmp_path / "root"))
    assert done.returncode == 3 and b"truncated" in done.stderr
    missing = run_cli("unshare", str(tmp_path / "nope"), "--root", str(tmp_path / "root"))
    assert missing.returncode == 4 and b"nope: no such file" in missing.stderr


def test_expiry_forms() -> None:
    now = iso_to_ms("2026-01-05T10:00:00Z")
    assert parse_expiry("30m", now) == "2026-01-05T10:30:00.000Z"
    assert parse_expiry("12h", now) == "2026-01-05T22:00:00.000Z"
    assert parse_expiry("2w", now) == "2026-01-19T10:00:00.000Z"
    assert parse_expiry("2026-02-01T00:00:00+01:00") == "2026-01-31T23:00:00.000Z"
    with pytest.raises(ValueError, match="neither a duration"):
        parse_expiry("7 days")
