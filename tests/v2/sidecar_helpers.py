"""Helpers shared by the V2 sidecar tests: digests, snapshots, small frame settings, and a child
process that runs one sidecar operation and is killed at a named step."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from sesslog import Session
from sesslog.format.records import Record

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Run in a child process: ``OP STEP NTH PATH`` runs OP on PATH and SIGKILLs itself the NTH
#: time the operation reaches STEP (exit code 0 when it never does).
CHILD = r"""
import os, signal, sys
from sesslog import v2
from sesslog.v2.steps import set_step_hook
op, target, nth, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
seen = 0
def hook(name):
    global seen
    if name == target:
        seen += 1
        if seen == nth:
            os.kill(os.getpid(), signal.SIGKILL)
set_step_hook(hook)
small = {"frame_size": 32 * 1024, "segment_size": 24 * 1024}
if op == "migrate":
    v2.migrate_jsonl_to_v2(path, **small)
elif op == "rebuild":
    v2.migrate_jsonl_to_v2(path, rebuild=True, **small)
elif op == "rollback":
    v2.rollback_v2_sidecar(path)
elif op == "recover":
    v2.recover_partial_migration(path)
"""

#: Small frames and segments so that a few hundred KiB make several of each.
SMALL = {"frame_size": 32 * 1024, "segment_size": 24 * 1024}


def digest(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(rec: Record) -> dict[str, Any]:
    """A record's fields as plain values, its line bytes as ``raw`` (wherever they live)."""
    plain: dict[str, Any] = msgspec.to_builtins(rec)
    for internal in ("\ue000raw", "\ue000start", "\ue000end"):
        del plain[internal]
    return {**plain, "raw": rec.raw}


def snapshot(session: Session) -> dict[str, Any]:
    """Everything a user sees of a whole session, as plain values."""
    return {
        "records": [_record(rec) for rec in session.tree],
        "nodes": msgspec.to_builtins(session.tree.nodes()),
        "leafId": session.leaf_id,
        "labels": session.labels,
        "name": session.name,
        "context": msgspec.to_builtins(session.context().to_json()),
        "diagnostics": msgspec.to_builtins(session.diagnostics.diagnostics),
        "header": session.header_raw,
        "fileVersion": session.file_version,
        "readOnly": session.read_only_reason,
    }


def run_child(op: str, step: str, nth: int, path: Path) -> int:
    """Run :data:`CHILD`; return its exit code (``-9`` when killed)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, op, step, str(nth), str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, -9):
        raise AssertionError(done.stderr)
    return done.returncode


def legacy_cases() -> list[Any]:
    """A few legacy-version (v1, v2) session files of the shared conformance data, as pytest
    parameters (one skipped parameter saying why when ``../shared`` is missing)."""
    folder = REPO_ROOT.parent / "shared" / "conformance" / "legacy"
    found = sorted(folder.glob("*.jsonl"))
    chosen = [p for p in found if p.stem.endswith("v1")][:2] + [
        p for p in found if p.stem.endswith("v2")
    ][:2]
    if not chosen:
        reason = f"shared conformance data not found at {folder}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="missing")]
    return [pytest.param(path, id=path.stem) for path in chosen]
