"""Running the command line in tests: in this process, as a real subprocess, or in a forked
child that has dropped root to ``nobody``; and the checks every run must pass (no traceback,
one line per failure naming the file, valid JSON, nothing a terminal would obey)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import pkgutil
import pwd
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sesslog
from sesslog.cli import build_parser, main

REPO_ROOT = Path(__file__).resolve().parents[2]
SESSLOG = [sys.executable, "-m", "sesslog"]

HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w"}'
)


@dataclass(frozen=True)
class Run:
    """What one run of the command line did."""

    code: int
    out: str
    err: str

    def json_docs(self) -> list[Any]:
        """Every JSON document on stdout (one per line)."""
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def run_cli(argv: list[str], stdin: bytes = b"") -> Run:
    """Run ``main(argv)`` in this process with ``stdin`` as its input."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        sys.stdin = saved
    return Run(code, out.getvalue(), err.getvalue())


def run_process(argv: list[str], stdin: bytes = b"", timeout: float = 120) -> Run:
    """Run ``python -m sesslog`` as a real process."""
    done = subprocess.run(
        [*SESSLOG, *argv], input=stdin, capture_output=True, timeout=timeout, cwd=REPO_ROOT
    )
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", "backslashreplace"),
        done.stderr.decode("utf-8", "backslashreplace"),
    )


def nobody_ids() -> tuple[int, int] | None:
    """``nobody``'s uid and gid when this process is root (else ``None``: run as oneself)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _import_everything() -> None:
    """Import every sesslog module and what the commands import lazily, so that a child
    without the rights to read the interpreter's files can still run them."""
    for module in pkgutil.walk_packages(sesslog.__path__, "sesslog."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for name in ("tempfile", "shutil", "zstandard", "encodings.ascii", "encodings.latin_1"):
        importlib.import_module(name)
    build_parser()  # reads the package's metadata


def run_unprivileged(argv: list[str], stdin: bytes = b"") -> Run:
    """Run ``main(argv)`` in a forked child that dropped root to ``nobody`` (or as oneself when
    not root): file permissions then apply as they do to a normal user."""
    ids = nobody_ids()
    _import_everything()
    with tempfile.TemporaryDirectory(prefix="sesslog-child-") as scratch:
        paths = [Path(scratch, name) for name in ("in", "out", "err")]
        paths[0].write_bytes(stdin)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 70
            try:
                with (
                    open(paths[0], "rb") as stdin_file,
                    open(paths[1], "w") as out,
                    open(paths[2], "w") as err,
                ):
                    if ids is not None:
                        os.setgroups([])
                        os.setgid(ids[1])
                        os.setuid(ids[0])
                    sys.stdin = io.TextIOWrapper(stdin_file)
                    sys.stdout, sys.stderr = out, err
                    code = main(argv)
                    out.flush()
                    err.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        return Run(
            os.waitstatus_to_exitcode(status),
            paths[1].read_text(errors="backslashreplace"),
            paths[2].read_text(errors="backslashreplace"),
        )


def assert_safe_text(text: str) -> None:
    """No control character but newlines, no lone surrogate, no bidirectional control, and
    sesslog's color codes only when asked (never here): the text a terminal shows as it is."""
    text.encode("utf-8")  # raises on a lone surrogate
    for char in text:
        if char == "\n":
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs", "Zl", "Zp"), f"{char!r} in {text[:200]!r}"
        assert not ("\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069"), repr(char)


def assert_no_traceback(run: Run) -> None:
    """Nothing of a Python traceback on either stream."""
    for stream in (run.out, run.err):
        assert "Traceback (most recent call last)" not in stream, stream[-3000:]
        assert not re.search(r"^\w*(Error|Exception):", stream, re.M), stream[-3000:]


def assert_failure_line(run: Run, file: str) -> None:
    """A failure ends with exactly one line on stderr, from sesslog, naming ``file``."""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err[-3000:]
    assert lines[0].startswith("sesslog: "), lines[0]
    assert file in lines[0] or Path(file).name in lines[0], (file, lines[0])


def assert_json_output(run: Run) -> list[Any]:
    """Stdout is JSON lines (valid UTF-8); a failure's last document is its error."""
    run.out.encode("utf-8")
    docs = run.json_docs()
    assert docs, "no JSON on stdout"
    if run.code not in (0, 1):
        assert docs[-1]["exitCode"] == run.code and docs[-1]["error"], docs[-1]
    return docs


def session_bytes(*entries: bytes) -> bytes:
    """A v3 session file: the header and these entry lines."""
    return HEADER + b"\n" + b"".join(entry + b"\n" for entry in entries)


def message_line(entry_id: str, parent: str | None, text: str) -> bytes:
    """One user message entry line holding ``text``."""
    doc = {
        "type": "message",
        "id": entry_id,
        "parentId": parent,
        "timestamp": "2026-01-05T10:00:01.000Z",
        "message": {"role": "user", "content": text, "timestamp": 1767607201000},
    }
    return json.dumps(doc, separators=(",", ":")).encode()
