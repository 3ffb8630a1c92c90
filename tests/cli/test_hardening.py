"""The smaller promises of the command line: bounded tree drawing, checked options, upgrade and
restore that never replace a file behind a live writer's back, status after an upgrade, and
messages that name what they speak of."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from cli_harness import (
    HEADER,
    assert_failure_line,
    assert_no_traceback,
    assert_safe_text,
    message_line,
    run_cli,
    session_bytes,
)

from sesslog import FormatError, Session
from sesslog.cli.errors import describe_error
from sesslog.cli.output import EXIT_CORRUPT, Output
from sesslog.v2 import SidecarPaths, migrate_jsonl_to_v2

V1 = (
    b'{"type":"session","id":"v1s","timestamp":"2025-01-05T10:00:00.000Z","cwd":"/w"}\n'
    b'{"type":"message","timestamp":"2025-01-05T10:00:01.000Z","message":'
    b'{"role":"user","content":"old","timestamp":1736071201000}}\n'
)


def _nested_branches(forks: int) -> bytes:
    """A session whose every fork point sits on the branch of the fork before it: drawn with
    plain indentation, each fork goes three columns deeper."""
    lines = [message_line("root", None, "start")]
    parent = "root"
    for n in range(forks):
        lines.append(message_line(f"side{n:04d}", parent, f"abandoned {n}"))
        lines.append(message_line(f"main{n:04d}", parent, f"kept {n}"))
        parent = f"main{n:04d}"
    return session_bytes(*lines)


def test_tree_indentation_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(_nested_branches(490))
    run = run_cli(["tree", str(path)])
    assert run.code == 0
    lines = run.out.splitlines()
    assert len(lines) == 1 + 2 * 490
    assert max(len(line) for line in lines) < 150  # was 1,611 columns for 490 branches
    assert len(run.out) < 200_000  # was 82 MB
    restarts = [line for line in lines if line.startswith("↪ ")]
    assert restarts and all(line.split()[1].startswith("main") for line in restarts)
    ids = [re.search(r"[•●○] (\S+)", line).group(1) for line in lines]  # type: ignore[union-attr]
    assert sorted(ids) == sorted(
        ["root"] + [f"{k}{n:04d}" for n in range(490) for k in ("side", "main")]
    )


@pytest.mark.parametrize("width", ["0", "-3", "wide"])
def test_width_must_be_positive(tmp_path: Path, width: str) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(session_bytes(message_line("a", None, "x")))
    run = run_cli(["tree", str(path), "--width", width])
    assert run.code == 2 and "--width" in run.err
    assert run.err.splitlines()[-1].startswith("sesslog: tree: argument --width")
    assert_no_traceback(run)
    run = run_cli(["tree", str(path), "--width", width, "--json"])
    assert run.code == 2 and json.loads(run.out)["exitCode"] == 2


def test_tree_colors_pass_but_session_escapes_do_not(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(session_bytes(message_line("a", None, "\x1b[2J\x1b]0;x\x07 hi")))
    run = run_cli(["tree", str(path), "--color", "always"])
    assert run.code == 0
    assert "\x1b[1m" in run.out  # the leaf, bold
    assert "\\x1b[2J\\x1b]0;x\\x07 hi" in run.out
    path.write_bytes(HEADER.replace(b'"cwd":"/w"', b'"cwd":"\\u001b[8mhidden"') + b"\n")
    run = run_cli(["info", str(path), "--color", "always"])
    assert "\\x1b[8mhidden" in run.out and "\x1b[8m" not in run.out
    assert_safe_text(run.out.replace("\x1b[1m", "").replace("\x1b[0m", ""))


def test_upgrade_json_is_camel_case_and_output_needs_force(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes(V1)
    out = tmp_path / "new.jsonl"
    run = run_cli(["upgrade", str(path), "--output", str(out), "--json"])
    assert run.code == 0
    result = json.loads(run.out)
    assert set(result) == {"path", "backup", "fromVersion", "toVersion", "entries", "changed"}
    assert (result["fromVersion"], result["toVersion"]) == (1, 3)
    first = out.read_bytes()
    run = run_cli(["upgrade", str(path), "--output", str(out)])
    assert run.code == 1 and "--force" in run.err
    assert_failure_line(run, out.name)
    out.write_bytes(b"something else")
    assert run_cli(["upgrade", str(path), "--output", str(out), "--force"]).code == 0
    assert out.read_bytes() == first
    run = run_cli(["upgrade", str(path), "--output", str(tmp_path / "no" / "such" / "x.jsonl")])
    assert run.code == 4 and "does not exist" in run.err
    assert not (tmp_path / "no").exists()
    run = run_cli(["upgrade", str(path), "--output", str(path), "--force"])
    assert run.code == 1 and "session file itself" in run.err
    assert path.read_bytes() == V1


def test_upgrade_in_place_waits_for_no_writer(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes(V1)
    from sesslog.backends.local import LocalFolder

    backend, key = LocalFolder.for_file(path)
    with backend.lock(key):  # what a live writer holds
        run = run_cli(["upgrade", str(path)])
        assert run.code == 5 and f"process {os.getpid()}" in run.err
        assert path.read_bytes() == V1 and not Path(f"{path}.v1.bak").exists()
    assert run_cli(["upgrade", str(path)]).code == 0


def test_restore_refuses_a_live_writer_and_a_longer_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    session = Session.create(path=path, cwd="/", durability="strict")
    for n in range(5):
        session.append_user_message(f"m{n}")
    session.close()
    migrate_jsonl_to_v2(path)
    held = path.read_bytes()
    writer = Session.open(path, durability="strict")
    writer.append_user_message("the sixth")  # a live writer, holding the lock
    grown = path.read_bytes()
    run = run_cli(["restore-jsonl", str(path), "--force"])
    assert run.code == 5 and f"process {os.getpid()}" in run.err
    assert path.read_bytes() == grown
    writer.close()
    run = run_cli(["restore-jsonl", str(path), "--force"])
    assert run.code == 1 and "more than" in run.err and "sesslog migrate" in run.err
    assert path.read_bytes() == grown
    damaged = bytearray(held)
    damaged[-10] ^= 0x20
    path.write_bytes(bytes(damaged))
    run = run_cli(["restore-jsonl", str(path)])
    assert run.code == 1 and "--force" in run.err and "overwrite" not in run.err.split(";")[0]
    assert run_cli(["restore-jsonl", str(path), "--force"]).code == 0
    assert path.read_bytes() == held


def test_status_after_an_upgrade_says_stale_and_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes(V1)
    assert run_cli(["migrate", str(path)]).code == 0
    run = run_cli(["upgrade", str(path)])
    assert run.code == 0 and "sesslog migrate" in run.err
    run = run_cli(["status", str(path), "--json"])
    state = json.loads(run.out)
    assert run.code == 0 and state["kind"] == "stale" and state["changedInPlace"]
    assert "sesslog migrate" in state["reason"]
    dry = json.loads(run_cli(["migrate", str(path), "--dry-run", "--json"]).out)
    assert dry["action"] == "rebuild"
    assert run_cli(["migrate", str(path)]).code == 0
    assert json.loads(run_cli(["status", str(path), "--json"]).out)["kind"] == "migrated"


def test_maintenance_of_a_missing_session_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "gone.jsonl"
    for command in ("status", "rollback", "recover", "migrate", "restore-jsonl", "verify"):
        run = run_cli([command, str(missing)])
        assert run.code == 4, (command, run.err)
        assert_failure_line(run, missing.name)
    assert list(tmp_path.iterdir()) == []


def test_maintenance_of_a_never_migrated_session_writes_no_ledger(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(session_bytes(message_line("a", None, "x")))
    for command in ("status", "rollback", "recover"):
        assert run_cli([command, str(path)]).code == 0
    assert not SidecarPaths(path).ledger.exists()


def test_info_names_the_file_in_every_warning(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    lines = [message_line("a", None, "x")] + [b"{broken %d" % n for n in range(12)]
    path.write_bytes(session_bytes(*lines))
    run = run_cli(["info", str(path)])
    assert run.code == 0
    warnings = run.err.splitlines()
    assert len(warnings) == 11 and all(line.startswith(f"sesslog: {path}:") for line in warnings)
    assert "sesslog check" in warnings[-1]


def test_duplicate_id_message_reads_well(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        session_bytes(message_line("a", None, "x"), message_line("a", None, "other content"))
    )
    run = run_cli(["check", str(path)])
    assert "entry 'a' reuses the id of line 2 with other content; the first one is kept" in run.out


def test_header_only_and_not_a_session(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(HEADER + b"\n")
    assert run_cli(["info", str(path)]).code == 0
    path.write_bytes(b"")
    run = run_cli(["info", str(path), "--json"])
    assert run.code == 3 and "fileVersion" not in run.out
    assert json.loads(run.out)["error"].endswith("empty file, not a session")


def _strict_json(text: str) -> object:
    def refuse(token: str) -> object:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_output_never_holds_nan(tmp_path: Path) -> None:
    """A line may carry numbers beyond a double (``1e400`` is valid JSON, read as Infinity, as
    ``JSON.parse`` does; the ``NaN`` and ``Infinity`` literals are not JSON and such lines are
    skipped); --json still prints valid JSON."""
    path = tmp_path / "s.jsonl"
    line = message_line("a", None, "x :NaN").replace(b"1767607201000", b"1e400")
    path.write_bytes(session_bytes(line.replace(b'"x :NaN"', b'"x :NaN","n":[-1e400,-1]')))
    run = run_cli(["context", str(path), "--json"])
    assert run.code == 0
    message = _strict_json(run.out)["messages"][0]  # type: ignore[index]
    assert (message["timestamp"], message["n"], message["content"]) == (None, [None, -1], "x :NaN")


def test_json_output_nested_too_deep_is_one_line_with_the_corrupt_code() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    out = Output(json_mode=True, color=False)
    with pytest.raises(FormatError) as raised:
        out.json({"value": deep})
    message, code = describe_error(raised.value, "s.jsonl")
    assert code == EXIT_CORRUPT
    assert message == "s.jsonl: cannot write value as JSON: nested too deep"


@pytest.mark.parametrize("closed", [1, 2])
@pytest.mark.parametrize("argv", [["--version"], ["info", "missing.jsonl"], ["ls", "--json"]])
def test_a_closed_standard_stream_is_no_traceback(
    tmp_path: Path, closed: int, argv: list[str]
) -> None:
    """``sesslog ... >&-`` (or ``2>&-``): the process starts without that stream; the command
    still runs, says nothing there and exits with its usual code."""
    import subprocess

    from cli_harness import SESSLOG

    done = subprocess.run(
        [*SESSLOG, *argv, *(["--root", str(tmp_path)] if argv[0] == "ls" else [])],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        preexec_fn=lambda: os.close(closed),
    )
    assert b"Traceback" not in done.stdout + done.stderr
    assert done.returncode == {"--version": 0, "info": 4, "ls": 0}[argv[0]]
    if closed == 1 and argv[0] == "info":
        assert b"missing.jsonl" in done.stderr
