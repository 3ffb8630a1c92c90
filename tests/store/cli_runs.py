"""Running the store commands in tests, a small store to run them on, and a picture of the
store's session files to show that a refused command changed nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from store_builders import SessionFile, usage

from sesslog.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """What one command did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The one JSON document printed on stdout."""
        return json.loads(self.out)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Run:
    """Run ``sesslog ARGV`` through :func:`sesslog.cli.main` in this process."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run_process(*argv: str | Path, timeout: float = 60) -> Run:
    """Run ``python -m sesslog ARGV`` as a real process."""
    done = subprocess.run(
        [sys.executable, "-m", "sesslog", *map(str, argv)],
        capture_output=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
    )
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


def files(root: Path) -> dict[str, bytes]:
    """Every session file under ``root`` (the trash included) and its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.jsonl"))}


@dataclass(frozen=True)
class Store:
    """The test store: ``parser`` (titled, tagged, with usage and a tool call) and ``web``."""

    root: Path
    parser: SessionFile
    web: SessionFile
    first: str  # the parser session's first user message


def make_store(root: Path) -> Store:
    """Write the test store under ``root``."""
    a = SessionFile(root, "/home/dev/app", session_id="aaaa-1111")
    a.name("Parser")
    a.meta(tags=["bug"])
    first = a.user("the parser crashes on empty input")
    a.assistant(
        "Reading it", use=usage(100, 20, cost=0.25), calls=[("c1", "read", {"path": "p.py"})]
    )
    a.result("c1", "read", "def parse(text): ...")
    a.assistant("Fixed the parser", use=usage(150, 30, cost=0.5))
    a.user("Thanks, and the Tokenizer?")
    b = SessionFile(root, "/home/dev/web", session_id="bbbb-2222", start=40000)
    b.user("style the landing page")
    return Store(root, a, b, first)
