"""``sesslog export``: every format to stdout or a file, from a session file or a bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from export_samples import branched_session, run_cli

from sesslog.interop.share import share_file


@pytest.fixture
def session_file(tmp_path: Path, lines: Any) -> Path:
    path = tmp_path / "s.jsonl"
    path.write_bytes(branched_session(lines))
    return path


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        ("md", b"# Viewer sample"),
        ("json", b'"kind": "context"'),
        ("jsonl", b'"parentSession"'),
        ("html", b"<!DOCTYPE html>"),
    ],
)
def test_every_format_to_stdout(session_file: Path, fmt: str, marker: bytes) -> None:
    done = run_cli("export", str(session_file), "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    if fmt != "html":
        assert b"alpha-branch-marker" in done.stdout and b"beta-branch-marker" not in done.stdout


def test_to_a_file_with_a_json_report(session_file: Path, tmp_path: Path) -> None:
    page = tmp_path / "out" / "page.html"
    done = run_cli("export", str(session_file), "--format", "html", "-o", str(page), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {"output": str(page), "format": "html", "bytes": page.stat().st_size}
    fork = tmp_path / "fork.jsonl"
    done = run_cli(
        "export", str(session_file), "--format", "jsonl", "--leaf", "b1", "-o", str(fork)
    )
    assert done.returncode == 0, done.stderr
    assert (
        b"beta-branch-marker" in fork.read_bytes()
        and b"alpha-branch-marker" not in fork.read_bytes()
    )
    again = run_cli("export", str(session_file), "--format", "jsonl", "-o", str(fork))
    assert again.returncode == 1 and b"already exists" in again.stderr


def test_whole_tree_and_leaf(session_file: Path) -> None:
    done = run_cli("export", str(session_file), "--format", "md", "--whole-tree")
    assert b"alpha-branch-marker" in done.stdout and b"beta-branch-marker" in done.stdout
    done = run_cli("export", str(session_file), "--format", "json", "--leaf", "b1")
    assert json.loads(done.stdout)["leafId"] == "b1"


def test_errors(session_file: Path, tmp_path: Path) -> None:
    missing = run_cli("export", str(tmp_path / "nope.jsonl"), "--format", "md")
    assert missing.returncode == 4 and b"nope.jsonl: no such file" in missing.stderr
    json_to_stdout = run_cli("export", str(session_file), "--format", "md", "--json")
    assert json_to_stdout.returncode == 2
    assert json.loads(json_to_stdout.stdout)["exitCode"] == 2
    bad_leaf = run_cli("export", str(session_file), "--format", "md", "--leaf", "zzz")
    assert bad_leaf.returncode == 4 and b"no entry 'zzz'" in bad_leaf.stderr  # missing input


def test_export_from_a_bundle(session_file: Path, tmp_path: Path) -> None:
    """A bundle that does not allow forks can be viewed (HTML, Markdown, JSON) but not copied."""
    password = tmp_path / "pw.txt"
    password.write_text("secret\n")
    bundle = tmp_path / "s.sesslog-bundle"
    bundle.write_bytes(
        share_file(
            session_file,
            allow_fork=False,
            password="secret",
            kdf_cost={"name": "argon2id", "memory_kib": 64, "passes": 1, "lanes": 1, "log_n": 0},
        )
    )
    done = run_cli("export", str(bundle), "--format", "md", "--password-file", str(password))
    assert done.returncode == 0, done.stderr
    assert b"alpha-branch-marker" in done.stdout
    refused = run_cli("export", str(bundle), "--format", "jsonl", "--password-file", str(password))
    assert refused.returncode == 1 and b"allow-fork is off" in refused.stderr
    no_password = run_cli("export", str(bundle), "--format", "md")
    assert no_password.returncode == 2 and b"--password-file" in no_password.stderr
