"""The program keeps what its answers were made from until it ends; a call of main() from
Python keeps nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sesslog.cli import lingering, main

PROBE = """
import sys
from sesslog.cli import lingering
from sesslog.cli.app import main

sys.argv = ["sesslog", "context", sys.argv[1], "--json"]
lingering.keep_until_exit()
code = main()
print(code, [type(value).__name__ for value in lingering._kept], file=sys.stderr)
"""


def _session(tmp_path: Path) -> Path:
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z",'
        b'"cwd":"/"}\n'
    )
    return path


def test_main_called_from_python_keeps_nothing(tmp_path: Path, capsys) -> None:
    assert main(["context", str(_session(tmp_path)), "--json"]) == 0
    assert lingering._kept is None
    assert lingering.keep(capsys) is capsys


def test_the_program_keeps_the_sessions_it_opened(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(_session(tmp_path))],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stderr.strip() == "0 ['Session']"
