"""Every command against every kind of bad input: no traceback, the documented exit code, one
line naming the file for a failure, the input file unchanged, nothing created for a missing
session, valid JSON under ``--json``, and nothing a terminal would obey in human output.

Most runs call ``main(argv)`` in this process; the runs that need a normal user's permissions
(an unreadable file, a read-only folder) fork a child that drops root to ``nobody``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_harness import (
    HEADER,
    Run,
    assert_failure_line,
    assert_json_output,
    assert_no_traceback,
    assert_safe_text,
    message_line,
    run_cli,
    run_unprivileged,
    session_bytes,
)

from sesslog.render.escape import escape_text

# --------------------------------------------------------------------------- the inputs

DEEP_LINE = b"[" * 200_000
HUGE_BYTES = 60 * 1024 * 1024


def _controls() -> bytes:
    """Text a terminal would obey in every field a renderer shows, a lone surrogate escape and
    bytes that are not UTF-8."""
    nasty = "\x1b[2J\x1b[H\x1b]0;pwned\x07 \x9b31m \u202egnp.exe \x00\x7f\r\x08 end"
    lines = [
        message_line("a1", None, f"clear the screen {nasty}"),
        json.dumps(
            {
                "type": "message",
                "id": "e\x1b[31mvil",
                "parentId": "a1",
                "timestamp": "2026-01-05T10:00:02.000Z",
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": nasty},
                        {"type": "toolCall", "id": "t1", "name": nasty, "arguments": {}},
                    ],
                    "api": nasty,
                    "provider": nasty,
                    "model": nasty,
                    "usage": {"input": 1, "output": 1},
                    "stopReason": "toolUse",
                    "timestamp": 1767607202000,
                },
            },
            separators=(",", ":"),
        ).encode(),
        json.dumps(
            {
                "type": "label",
                "id": "l1",
                "parentId": "e\x1b[31mvil",
                "timestamp": "2026-01-05T10:00:03.000Z",
                "targetId": "a1",
                "label": nasty,
            }
        ).encode(),
        json.dumps(
            {
                "type": "model_change",
                "id": "m1",
                "parentId": "l1",
                "timestamp": "2026-01-05T10:00:04.000Z",
                "provider": nasty,
                "modelId": nasty,
            }
        ).encode(),
        b'{"type":"session_info","id":"n1","parentId":"m1","timestamp":"2026-01-05T10:00:05.000Z",'
        b'"name":"broken \\ud83d emoji \\u001b[2J"}',
        b'{"type":"custom","id":"c1","parentId":"n1","timestamp":"2026-01-05T10:00:06.000Z",'
        b'"customType":"bytes \xff\xfe\x1b[2J not utf-8"}',
        message_line("u2", "c1", "broken \ud83d surrogate"),
    ]
    return session_bytes(*lines)


def _v1() -> bytes:
    return (
        b'{"type":"session","id":"v1s","timestamp":"2025-01-05T10:00:00.000Z","cwd":"/w"}\n'
        b'{"type":"message","timestamp":"2025-01-05T10:00:01.000Z","message":'
        b'{"role":"user","content":"old","timestamp":1736071201000}}\n'
    )


def _huge() -> bytes:
    words = random.Random(1).choices(["lorem", "ipsum", "dolor", "sit", "amet", "\\n"], k=1000)
    text = " ".join(words)
    body = (text * (HUGE_BYTES // len(text) + 1))[:HUGE_BYTES]
    first = message_line("h1", None, "").replace(b'"content":""', f'"content":"{body}"'.encode())
    return session_bytes(first, message_line("h2", "h1", "after the big one"))


GOOD = session_bytes(message_line("a1", None, "hello"), message_line("b2", "a1", "again"))

CONTENTS: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "binary": lambda: random.Random(7).randbytes(64 * 1024),
    "header_only": lambda: HEADER + b"\n",
    "v1": _v1,
    "deep": lambda: session_bytes(message_line("a1", None, "x"), DEEP_LINE),
    "controls": _controls,
    "huge": _huge,
}
KINDS = ["missing", "odd_name", "directory", "fifo", "symlink", *CONTENTS]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of each input's bytes, made once for the module."""
    folder = tmp_path_factory.mktemp("inputs")
    for name, make in CONTENTS.items():
        (folder / f"{name}.jsonl").write_bytes(make())
    (folder / "good.jsonl").write_bytes(GOOD)
    return folder


def make_input(kind: str, library: Path, folder: Path) -> Path:
    """Put the input of this kind in ``folder`` and return the path to give the command."""
    if kind == "missing":
        return folder / "missing.jsonl"
    if kind == "odd_name":
        return folder / "gone\x1b[2J\n\u202e.jsonl"
    if kind == "directory":
        (folder / "dir.jsonl").mkdir()
        return folder / "dir.jsonl"
    if kind == "fifo":
        os.mkfifo(folder / "fifo.jsonl")
        return folder / "fifo.jsonl"
    if kind == "symlink":
        shutil.copyfile(library / "good.jsonl", folder / "target.jsonl")
        (folder / "link.jsonl").symlink_to("target.jsonl")
        return folder / "link.jsonl"
    path = folder / f"{kind}.jsonl"
    shutil.copyfile(library / f"{kind}.jsonl", path)
    return path


# --------------------------------------------------------------------------- what to expect

COMMANDS: dict[str, list[str]] = {
    "info": ["info"],
    "tree": ["tree"],
    "context": ["context"],
    "check": ["check"],
    "upgrade": ["upgrade"],
    "append": ["append"],
    "migrate": ["migrate"],
    "migrate-dry-run": ["migrate", "--dry-run"],
    "status": ["status"],
    "verify": ["verify"],
    "rollback": ["rollback"],
    "recover": ["recover"],
    "restore-jsonl": ["restore-jsonl"],
    "tail": ["tail"],
}
READING = ["info", "tree", "context", "check", "upgrade", "append", "migrate", "migrate-dry-run"]
SIDECAR = ["status", "verify", "rollback", "recover", "restore-jsonl"]
APPENDED = b'{"role":"user","content":"one more"}\n'


def _row(reading: int, append: int | None = None, check: int | None = None) -> dict[str, int]:
    """Exit codes: ``reading`` for the commands that read the file, the sidecar commands as
    for a session that was never migrated (verify and restore-jsonl: no sidecar, 4); ``tail``
    prints the entries it finds in any regular file (none in an empty or binary one) and
    warns of the lines it cannot read."""
    row = dict.fromkeys(READING, reading)
    row.update({"status": 0, "verify": 4, "rollback": 0, "recover": 0, "restore-jsonl": 4})
    row["tail"] = 0
    if append is not None:
        row["append"] = append
    if check is not None:
        row["check"] = check
    return row


EXPECTED: dict[str, dict[str, int]] = {
    "missing": dict.fromkeys(COMMANDS, 4),
    "odd_name": dict.fromkeys(COMMANDS, 4),
    "directory": dict.fromkeys(COMMANDS, 2),
    "fifo": dict.fromkeys(COMMANDS, 2),
    "symlink": _row(0, append=2),
    "empty": {**_row(3)},
    "binary": {**_row(3)},
    "header_only": _row(0),
    "v1": _row(0, append=6),
    "deep": _row(0, check=1),  # reported as too_deep (an error) and read on
    "controls": _row(0, check=1),
    "huge": _row(0),
}


def _digest(path: Path) -> str | None:
    if not path.is_file() or stat.S_ISFIFO(path.stat().st_mode):
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


#: Commands whose ``--json`` prints one document per entry: none for a file without entries.
PER_ENTRY = {"tail"}


def check_run(
    run: Run, expected: int, path: Path, json_mode: bool, per_entry: bool = False
) -> None:
    """The checks every run passes."""
    assert_no_traceback(run)
    assert run.code == expected, (run.code, expected, run.out[-2000:], run.err[-2000:])
    assert_safe_text(run.err)
    if json_mode and per_entry and run.code == 0:
        run.out.encode("utf-8")
        assert all(isinstance(doc, dict) for doc in run.json_docs())
    elif json_mode:
        assert_json_output(run)
    else:
        assert_safe_text(run.out)
    if run.code not in (0, 1):
        assert_failure_line(run, escape_text(path.name))


def check_input_kept(command: str, kind: str, path: Path, before: bytes | None, code: int) -> None:
    """The input file is as it was, except for what the command is there to do."""
    if before is None:
        return
    after = path.read_bytes()
    if command == "append" and code == 0:
        assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    elif command == "upgrade" and code == 0 and kind == "v1":
        assert Path(f"{path}.v1.bak").read_bytes() == before
        assert b'"version":3' in after.split(b"\n", 1)[0]
    else:
        assert after == before


# --------------------------------------------------------------------------- the matrix


@pytest.mark.parametrize("json_mode", [False, True], ids=["human", "json"])
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", KINDS)
def test_bad_input(kind: str, command: str, json_mode: bool, library: Path, tmp_path: Path) -> None:
    path = make_input(kind, library, tmp_path)
    before = path.read_bytes() if _digest(path) is not None else None
    listing = _listing(tmp_path)
    argv = [*COMMANDS[command], str(path), *(["--json"] if json_mode else [])]
    run = run_cli(argv, stdin=APPENDED if command == "append" else b"")
    expected = EXPECTED[kind][command]
    check_run(run, expected, path, json_mode, per_entry=command in PER_ENTRY)
    check_input_kept(command, kind, path, before, run.code)
    if run.code >= 2:
        assert _listing(tmp_path) == listing  # a refusal creates nothing (no ledger, no .bak)


# --------------------------------------------------------------------------- as a normal user

UNREADABLE = {
    **dict.fromkeys(READING, 6),
    "status": 0,  # needs only the file's size, not its bytes
    "verify": 4,
    "rollback": 0,
    "recover": 0,
    "restore-jsonl": 4,
    "tail": 6,
}
READ_ONLY_FOLDER = {
    **dict.fromkeys(["info", "tree", "context", "check", "upgrade", "migrate-dry-run"], 0),
    **dict.fromkeys(["status", "verify", "restore-jsonl", "tail"], 0),
    **dict.fromkeys(["append", "migrate", "rollback", "recover"], 6),
}


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A fresh folder under the system's temporary folder that ``nobody`` can reach."""
    folder = Path(tempfile.mkdtemp(prefix="sesslog-matrix-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_unreadable_file(command: str, public_tmp: Path) -> None:
    path = public_tmp / "locked.jsonl"
    path.write_bytes(GOOD)
    path.chmod(0)
    listing = _listing(public_tmp)
    run = run_unprivileged([*COMMANDS[command], str(path), "--json"], stdin=APPENDED)
    check_run(run, UNREADABLE[command], path, json_mode=True)
    if run.code == 6:
        assert "permission denied" in run.err
    assert _listing(public_tmp) == listing
    path.chmod(0o600)
    assert path.read_bytes() == GOOD


@pytest.mark.parametrize("command", list(COMMANDS))
def test_read_only_folder(command: str, public_tmp: Path) -> None:
    from sesslog.v2 import migrate_jsonl_to_v2

    folder = public_tmp / "sessions"
    folder.mkdir()
    path = folder / "s.jsonl"
    path.write_bytes(GOOD)
    migrate_jsonl_to_v2(path)  # as root: a sidecar and a ledger to remove or record in
    for item in folder.rglob("*"):
        item.chmod(0o755 if item.is_dir() else 0o644)
    folder.chmod(0o555)
    listing = {p.relative_to(folder) for p in folder.rglob("*")}
    run = run_unprivileged([*COMMANDS[command], str(path)], stdin=APPENDED)
    check_run(run, READ_ONLY_FOLDER[command], path, json_mode=False)
    if run.code == 6:
        assert "permission denied" in run.err
    assert {p.relative_to(folder) for p in folder.rglob("*")} == listing
    assert path.read_bytes() == GOOD
