"""Reading commands given a session of the store (``info``, ``tree``, ``context``, ``tail`` by
id, prefix or title), ``context --last`` and ``--tokens``, and what every store command does
with a root that is a file or a catalog that is garbage."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runs import Store, files, run

from sesslog.cli import build_parser

Cap = pytest.CaptureFixture[str]


@pytest.mark.parametrize("ref", ["aaaa-1111", "aaaa", "Parser"])
def test_reading_commands_take_a_reference(capsys: Cap, store: Store, ref: str) -> None:
    by_file = {
        command: run(capsys, command, store.parser.path, "--json").out
        for command in ("info", "tree", "context")
    }
    for command, expected in by_file.items():
        done = run(capsys, command, ref, "--json")
        assert (done.code, done.err) == (0, ""), command
        assert done.out == expected, command
    tail = run(capsys, "tail", ref, "-n", "1", "--json")
    assert tail.code == 0 and tail.json()["message"]["content"] == "Thanks, and the Tokenizer?"


def test_the_root_option_and_the_environment(
    capsys: Cap, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SESSLOG_ROOT")
    monkeypatch.setenv("PI_CODING_AGENT_DIR", str(store.root.parent / "agent"))
    assert run(capsys, "info", "Parser", "--root", store.root, "--json").json()["name"] == "Parser"
    missing = run(capsys, "info", "Parser")
    assert missing.code == 4 and "no store at" in missing.err
    assert not (store.root.parent / "agent").exists()  # nothing created to look it up


def test_unknown_and_ambiguous_references(capsys: Cap, store: Store) -> None:
    missing = run(capsys, "tree", "nothing-like-it", "--json")
    assert missing.code == 4 and "nor a session with that id" in missing.json()["error"]
    assert run(capsys, "context", "no/such/file.jsonl").code == 4  # a path stays a path
    run(capsys, "new", "--id", "aaaa-9999", "--cwd", "/x")
    ambiguous = run(capsys, "info", "aaaa")
    assert ambiguous.code == 2 and "matches 2 sessions" in ambiguous.err


def test_context_last_and_tokens(capsys: Cap, store: Store) -> None:
    whole = run(capsys, "context", "Parser", "--json").json()
    last = run(capsys, "context", "Parser", "--last", "2", "--json").json()
    assert last["messages"] == whole["messages"][-2:]
    assert run(capsys, "context", "Parser", "--last", "0").code == 2
    tokens = run(capsys, "context", "Parser", "--tokens", "--json").json()
    # the last response reported 150 + 30 tokens; the user message after it is estimated
    assert (tokens["from_usage"], tokens["method"]) == (180, "usage+estimate")
    assert tokens["estimated"] == len("Thanks, and the Tokenizer?") // 4 + 1
    assert tokens["tokens"] == tokens["from_usage"] + tokens["estimated"]
    assert tokens["messages"] == len(whole["messages"])
    text = run(capsys, "context", "Parser", "--tokens").out
    assert text.startswith(f"{tokens['tokens']} tokens in {tokens['messages']} messages")


def _store_commands() -> dict[str, list[str]]:
    """Every store command with arguments it accepts."""
    ref = ["aaaa-1111"]
    return {
        "ls": [],
        "search": ["parser"],
        "stats": [],
        "catalog": ["status"],
        "open": ref,
        "log": ref,
        "new": [],
        "fork": ref,
        "branch": [*ref, "x"],
        "label": [*ref, "x", "y"],
        "name": [*ref, "t"],
        "tag": [*ref, "t"],
        "meta": ref,
        "snapshot": [*ref, "s"],
        "restore": [*ref, "s"],
        "undo": ref,
        "redo": ref,
        "rm": ref,
        "trash": [],
        "restore-trash": ref,
        "empty-trash": ["--yes"],
        "cleanup": ["--older-than", "1"],
        "watch": [],
    }


def test_every_store_command_takes_root() -> None:
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in _store_commands():
        options = {s for a in choices[command]._actions for s in a.option_strings}
        assert "--root" in options, command


@pytest.mark.parametrize("command", sorted(_store_commands()))
def test_a_root_that_is_a_file(capsys: Cap, tmp_path: Path, command: str) -> None:
    file = tmp_path / "not-a-folder"
    file.write_bytes(b"x")
    done = run(capsys, command, *_store_commands()[command], "--root", file, "--json")
    assert done.code == 2, done.err
    assert done.err == f"sesslog: {file}: the store root is not a folder\n"
    assert done.json()["exitCode"] == 2 and file.read_bytes() == b"x"


def test_a_garbage_catalog_is_rebuilt(capsys: Cap, store: Store) -> None:
    assert run(capsys, "ls").code == 0
    catalog = store.root / ".sesslog" / "catalog.sqlite"
    catalog.write_bytes(b"garbage " * 4096)
    before = files(store.root)
    done = run(capsys, "open", "Parser", "--json")
    assert done.code == 0 and done.json()["id"] == "aaaa-1111"
    assert [s["id"] for s in run(capsys, "ls", "--json").json()] == ["bbbb-2222", "aaaa-1111"]
    assert files(store.root) == before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_catalog_rebuild_draws_progress_on_a_terminal_only(
    capsys: Cap, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = run(capsys, "catalog", "rebuild", "--json")
    assert quiet.code == 0 and quiet.err == "" and quiet.json()["added"] == 2
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert run(capsys, "catalog", "rebuild").code == 0
    drawn = terminal.getvalue()
    assert drawn.startswith("\rcatalog") and "100%" in drawn and drawn.endswith("\n")


def test_an_unreadable_session_is_listed_with_its_error(store: Store) -> None:
    argv = [sys.executable, "-m", "sesslog", "ls", "--root", str(store.root)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is missing: cannot drop file permissions")
        argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *argv]
    store.web.path.chmod(0)
    try:
        listed = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=120)
        text = subprocess.run([*argv, "--color", "never"], capture_output=True, text=True)
    finally:
        store.web.path.chmod(0o600)
    assert listed.returncode == 0, listed.stderr
    errors = {s["id"]: s["error"] for s in json.loads(listed.stdout)}
    assert errors["aaaa-1111"] is None and "Permission denied" in errors["bbbb-2222"]
    assert text.returncode == 0 and "Permission denied" in text.stdout and "Parser" in text.stdout
