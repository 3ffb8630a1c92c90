"""The sidecar commands: migrate, status, verify, rollback, recover, restore-jsonl."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from sesslog.cli import main
from sesslog.cli.progress import ProgressBar
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2 import SidecarPaths


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    value = json.loads(captured.out) if "--json" in argv and captured.out else captured.out
    return code, value, captured.err


def test_each_command_prints_json(branchy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = str(branchy)
    code, state, _ = run(capsys, "status", file, "--json")
    assert (code, state["kind"]) == (0, "unmigrated")
    code, report, _ = run(capsys, "migrate", file, "--dry-run", "--json")
    assert code == 0 and report["verified"] and report["action"] == "migrate"
    assert 0 < report["ratio"] < 0.5 and not sidecar_folder(branchy).exists()
    assert not SidecarPaths(branchy).ledger.exists()
    code, result, _ = run(capsys, "migrate", file, "--json")
    assert (code, result["action"]) == (0, "migrated")
    code, state, _ = run(capsys, "status", file, "--json")
    assert (code, state["kind"], state["entries"]) == (0, "migrated", result["entries"])
    code, report, _ = run(capsys, "verify", file, "--json")
    assert (code, report["ok"], report["problems"]) == (0, True, [])
    code, result, _ = run(capsys, "migrate", file, "--json")
    assert result["action"] == "nothing"
    out = branchy.with_name("copy.jsonl")
    code, restored, _ = run(capsys, "restore-jsonl", file, "--output", str(out), "--json")
    assert code == 0 and restored["written"] and out.read_bytes() == branchy.read_bytes()
    code, rolled, _ = run(capsys, "rollback", file, "--json")
    assert (code, rolled["removed"]) == (0, True)
    code, recovered, _ = run(capsys, "recover", file, "--migrate", "--json")
    assert (code, recovered["after"]["kind"]) == (0, "migrated")


def test_exit_codes_tell_what_was_found(branchy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = str(branchy)
    code, _, err = run(capsys, "verify", file)
    assert code == 4 and "no V2 sidecar" in err
    run(capsys, "migrate", file)
    segment = next(sidecar_folder(branchy).glob("seg-*"))
    data = bytearray(segment.read_bytes())
    data[40] ^= 0xFF
    segment.write_bytes(data)
    code, out, _ = run(capsys, "verify", file)
    assert code == 1 and segment.name in out
    code, state, _ = run(capsys, "status", file, "--json")
    assert (code, state["kind"]) == (3, "corrupt")
    SidecarPaths(branchy).temp("abc").mkdir()
    run(capsys, "rollback", file)
    code, state, _ = run(capsys, "status", file, "--json")
    assert (code, state["kind"]) == (1, "partial")
    code, _, err = run(capsys, "restore-jsonl", file)
    assert code == 4 and "no V2 sidecar" in err
    code, _, err = run(capsys, "migrate", str(branchy.with_name("missing.jsonl")))
    assert code == 4


def test_restore_refuses_to_overwrite_other_bytes(
    branchy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "migrate", str(branchy))
    other = branchy.with_name("other.jsonl")
    other.write_bytes(b"something else\n")
    code, _, err = run(capsys, "restore-jsonl", str(branchy), "--output", str(other))
    assert code == 1 and "differs" in err and other.read_bytes() == b"something else\n"
    code, _, _ = run(capsys, "restore-jsonl", str(branchy), "--output", str(other), "--force")
    assert code == 0 and other.read_bytes() == branchy.read_bytes()


def test_a_busy_sidecar_exits_with_the_lock_code(
    branchy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sesslog.projections.ledger import LedgerLock

    with LedgerLock(SidecarPaths(branchy).ledger):
        code, _, err = run(capsys, "migrate", str(branchy))
    assert code == 5 and "another process" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_only(
    branchy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "migrate", str(branchy), "--rebuild")
    assert code == 0 and "[" not in err
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["migrate", str(branchy), "--rebuild"]) == 0
    drawn = terminal.getvalue()
    assert "compress" in drawn and "verify" in drawn and "100%" in drawn
    assert drawn.endswith("\n")


def test_the_progress_bar_redraws_in_place() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar("compress", 0, 100)
    bar("compress", 100, 100)
    bar("verify", 50, 100)
    bar.close()
    text = stream.getvalue()
    compress, _, verify = text.partition("\n")
    assert compress.startswith("\rcompress") and "100%" in compress
    assert verify.startswith("\rverify") and "50%" in verify
    assert text.endswith("\n") and text.count("\n") == 2


@pytest.mark.parametrize("seed", [0, 1])
def test_context_from_a_fresh_sidecar_equals_the_file_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """context reads only the end of the path from a fresh sidecar (loading more until it
    decides the context); the answer is the file's."""
    from fixtures.generate import make_v3_session
    from sesslog.cli import core
    from sesslog.tree import context

    monkeypatch.setattr(context, "FIRST_TAIL", 16)  # several rounds of loading (walking) more
    data = make_v3_session(
        3000, seed, line_bytes=300, branch_every=200, compaction_every=300, label_every=90
    )
    plain, migrated = tmp_path / "plain.jsonl", tmp_path / "migrated.jsonl"
    plain.write_bytes(data)
    migrated.write_bytes(data)
    assert run(capsys, "migrate", str(migrated), "--json")[0] == 0
    code, from_sidecar, _ = run(capsys, "context", str(migrated), "--json")
    assert code == 0 and from_sidecar == run(capsys, "context", str(plain), "--json")[1]
    loads: list[str] = []
    opened = core.open_session
    monkeypatch.setattr(
        core, "open_session", lambda *a, **k: loads.append(k["scope"]) or opened(*a, **k)
    )
    assert run(capsys, "context", str(migrated), "--json")[1] == from_sidecar
    assert loads[0] == "tail:16" and all(scope.startswith("tail:") for scope in loads)
