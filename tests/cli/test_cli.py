"""The command line: commands, JSON shapes, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_harness import HEADER as HEADER_TEXT
from cli_harness import message_line

from sesslog.cli import COMMANDS, build_parser, main
from sesslog.cli.app import _modules_for

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"

needs_shared = pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared is not present")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("info", "tree", "context", "check", "upgrade", "demo"):
        assert command in out


def test_every_command_has_help_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    names = sorted(subparsers.choices)  # type: ignore[union-attr]
    assert names
    for name in names:
        code, out, _ = run(capsys, name, "--help")
        assert code == 0, name
        assert "--json" in out, f"{name} has no --json"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "usage" in err


@needs_shared
@pytest.mark.parametrize("case", ["s1-000-v3", "s1-005-v3", "s2-002-v2", "s2-006-v2"])
def test_tree_and_context_json_match_reference(
    capsys: pytest.CaptureFixture[str], case: str
) -> None:
    folder = "v3" if case.endswith("v3") else "legacy"
    path = CONFORMANCE / folder / f"{case}.jsonl"
    expected = json.loads((CONFORMANCE / "expected" / f"{case}.json").read_text())
    code, tree = run_json(capsys, "tree", str(path))
    assert code == 0
    assert set(tree) == {"leafId", "path", "nodes", "name", "labels"}
    assert tree["leafId"] == expected["leafId"]
    assert tree["path"] == expected["path"]
    assert tree["nodes"] == expected["nodes"]
    assert tree["name"] == expected["name"]
    assert tree["labels"] == {n["id"]: n["label"] for n in expected["nodes"] if n["label"]}
    code, context = run_json(capsys, "context", str(path))
    assert code == 0
    assert context == expected["context"]


def _write(tmp_path: Path, name: str, lines: list[bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(lines))
    return path


HEADER = HEADER_TEXT + b"\n"


def _entry(entry_id: str, parent: str | None, text: str = "hi") -> bytes:
    return message_line(entry_id, parent, text) + b"\n"


def test_check_clean_exits_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.jsonl", [HEADER, _entry("a1", None), _entry("b2", "a1")])
    code, report = run_json(capsys, "check", str(path))
    assert code == 0
    assert report == {"ok": True, "entries": 2, "diagnostics": []}


def test_check_reports_damage_with_line_and_offset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [HEADER, _entry("a1", None), b"{not json\n", _entry("b2", "zz"), b'{"type":"mess']
    path = _write(tmp_path, "bad.jsonl", lines)
    code, report = run_json(capsys, "check", str(path))
    assert code == 1
    assert report["ok"] is False
    assert report["entries"] == 2
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    found = {(d["line"], d["offset"], d["reason"]) for d in report["diagnostics"]}
    assert (3, offsets[2], "bad_json") in found
    assert (4, offsets[3], "orphaned_parent") in found
    assert (5, offsets[4], "torn_tail") in found
    for diag in report["diagnostics"]:
        assert set(diag) == {"line", "offset", "reason", "detail", "severity"}
        assert diag["detail"]
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert f"{path}:line 3 (byte {offsets[2]}): bad_json" in out


def test_strict_mode_exits_with_corrupt_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, "bad.jsonl", [HEADER, _entry("a1", None), b"{oops\n"])
    code, _, err = run(capsys, "tree", str(path), "--mode", "strict")
    assert code == 3
    assert f"{path}:3 (byte {len(HEADER) + len(_entry('a1', None))})" in err


def test_missing_file_exits_four(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = run_json(capsys, "info", str(tmp_path / "nope.jsonl"))
    assert code == 4
    assert out["exitCode"] == 4
    assert "nope.jsonl" in out["error"]


def test_info_counts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(
        tmp_path, "s.jsonl", [HEADER, _entry("a1", None), _entry("b2", "a1"), _entry("c3", "a1")]
    )
    code, info = run_json(capsys, "info", str(path))
    assert code == 0
    assert info["entries"] == 3
    assert info["branches"] == 2
    assert info["leafId"] == "c3"
    assert info["roles"] == {"user": 3}


@needs_shared
def test_upgrade_writes_v3_and_keeps_original(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = CONFORMANCE / "legacy" / "s2-000-v1.jsonl"
    path = tmp_path / source.name
    original = source.read_bytes()
    path.write_bytes(original)
    code, before = run_json(capsys, "context", str(path))
    code, result = run_json(capsys, "upgrade", str(path))
    assert code == 0
    assert result["changed"] is True
    assert (result["fromVersion"], result["toVersion"]) == (1, 3)
    assert Path(result["backup"]).read_bytes() == original
    assert json.loads(path.read_bytes().split(b"\n", 1)[0])["version"] == 3
    code, after = run_json(capsys, "context", str(path))
    assert after == before
    code, again = run_json(capsys, "upgrade", str(path))
    assert again["changed"] is False


def test_demo_writes_a_store_in_pi_layout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, result = run_json(capsys, "demo", "--dir", str(tmp_path))
    assert code == 0
    session = Path(result["session"])
    assert session.parent.name == "--home-dev-projects-todo-app--"
    assert result["sessions"] == 6
    folders = {p.parent.name for p in tmp_path.glob("*/*.jsonl")}
    assert len(folders) == 3
    fork_header = json.loads(Path(result["fork"]).read_bytes().split(b"\n", 1)[0])
    assert fork_header["parentSession"] == str(session)
    code, out, _ = run(capsys, "demo", "--dir", str(tmp_path / "again"), "--color", "never")
    assert code == 0
    for shown in ("$ sesslog ls", "$ sesslog search UTC", "$ sesslog stats", "Add rate limiting"):
        assert shown in out
    assert "«UTC»" in out and "●" in out and "tokens in 10 messages" in out
    assert "\x1b" not in out


def test_python_dash_m_and_light_import() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sesslog", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("sesslog")
    probe = (
        "import sys, sesslog; "
        "print(' '.join(m for m in ('zstandard', 'watchfiles', 'sqlite3', 'tqdm', 'sesslog.cli') "
        "if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
    parser = probe.replace(
        "import sys, sesslog;", "import sys, sesslog.cli; sesslog.cli.build_parser();"
    )
    parser = parser.replace(", 'sesslog.cli')", ")")
    proc = subprocess.run(
        [sys.executable, "-c", parser], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == ""  # --help builds every command without the heavy imports


def test_the_command_table_lists_what_each_module_registers() -> None:
    """A command's run imports only its module, found in COMMANDS: the table must match."""
    import argparse
    import importlib

    from sesslog.cli import COMMANDS
    from sesslog.cli.output import common_options

    for name, commands in COMMANDS.items():
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(f"sesslog.cli.{name}").register(subparsers, [common_options()])
        assert tuple(subparsers.choices) == commands, name
    parser = build_parser()
    choices = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(choices.choices) == [c for commands in COMMANDS.values() for c in commands]


def test_version_and_one_command_need_no_other_command_module() -> None:
    for argv, expected in (
        (["--version"], ()),
        (["context", "x.jsonl", "--json"], ("core",)),
        (["--json", "tail", "x"], ("tail",)),
        (["--help"], None),
        (["nonsense"], None),
        ([], None),
    ):
        modules = _modules_for(argv)
        assert (list(modules) if expected is not None else modules) == (
            list(expected) if expected is not None else COMMANDS
        ), argv
