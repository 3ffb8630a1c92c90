"""The Python examples of docs/fleet.md (its ``py`` blocks) run as written, against a real S3
server and a real PostgreSQL (the plain docs test runs ``python`` blocks without servers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from servers import REPO_ROOT, S3Bucket

FENCE = re.compile(r"^```py\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_the_fleet_examples_run(
    s3_bucket: S3Bucket, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_bucket.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SESSLOG_BLOBS", s3_bucket.url)
    monkeypatch.setenv("SESSLOG_CATALOG", pg_url)
    monkeypatch.chdir(tmp_path)
    doc = REPO_ROOT / "docs" / "fleet.md"
    blocks = FENCE.findall(doc.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    namespace: dict[str, object] = {"__name__": "docs_fleet"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"fleet.md (py block {number})", "exec"), namespace)
