"""``sesslog check`` tells losses from notices: it exits 1 only when something was not taken
(or, with ``--strict``, for anything reported), and its JSON gives each diagnostic's severity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sesslog.cli import main

HEADER = (
    b'{"type":"session","version":3,"id":"0192f2c8-aaaa-7bbb-8ccc-000000000001",'
    b'"timestamp":"2026-01-05T10:00:00.000Z","cwd":"/home/dev/app"}\n'
)


def _entry(entry_id: str, parent: str | None) -> bytes:
    obj = {
        "type": "custom",
        "id": entry_id,
        "parentId": parent,
        "timestamp": "2026-01-05T10:00:01.000Z",
        "customType": "t",
    }
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


CLEAN = HEADER + _entry("a1", None) + _entry("b2", "a1")
NOTICES_ONLY = {
    "crlf": CLEAN.replace(b"\n", b"\r\n"),
    "bom": b"\xef\xbb\xbf" + CLEAN,
    "blank line": CLEAN + b"\n",
    "no final newline": CLEAN[:-1],
    "identical duplicate": CLEAN + _entry("b2", "a1"),
    "id unfit for paths": CLEAN.replace(b'"id":"0192f2c8', b'"id":"../0192f2c8'),
}
LOSSES = {
    "bad json": CLEAN + b"{not json\n",
    "torn tail": CLEAN + b'{"type":"cus',
    "orphan": CLEAN + _entry("c3", "zz"),
    "nested 200000 deep": CLEAN + b"[" * 200_000 + b"\n",
    "crlf and bad json": CLEAN.replace(b"\n", b"\r\n") + b"{oops\r\n",
}


def _check(capsys: pytest.CaptureFixture[str], path: Path, *flags: str) -> tuple[int, Any, str]:
    code = main(["check", str(path), "--json", *flags])
    report = json.loads(capsys.readouterr().out)
    code_text = main(["check", str(path), *flags])
    text = capsys.readouterr().out
    assert code_text == code
    return code, report, text


@pytest.mark.parametrize("data", list(NOTICES_ONLY.values()), ids=list(NOTICES_ONLY))
def test_notices_alone_exit_zero_unless_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(data)
    code, report, text = _check(capsys, path)
    assert code == 0 and report["ok"] is True
    assert report["diagnostics"] and report["entries"] == 2
    assert {d["severity"] for d in report["diagnostics"]} == {"notice"}
    assert "nothing lost" in text
    code, report, _ = _check(capsys, path, "--strict")
    assert code == 1 and report["ok"] is False


@pytest.mark.parametrize("data", list(LOSSES.values()), ids=list(LOSSES))
def test_losses_exit_one(capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(data)
    for flags in ((), ("--strict",)):
        code, report, text = _check(capsys, path, *flags)
        assert code == 1 and report["ok"] is False
        assert "error" in {d["severity"] for d in report["diagnostics"]}
        for diag in report["diagnostics"]:
            assert list(diag) == ["line", "offset", "reason", "detail", "severity"]
        assert "error(s)" in text


def test_clean_file_is_ok_either_way(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(CLEAN)
    for flags in ((), ("--strict",)):
        code, report, text = _check(capsys, path, *flags)
        assert (code, report) == (0, {"ok": True, "entries": 2, "diagnostics": []})
        assert text.strip().endswith("2 entries, clean")


def test_a_deep_line_gives_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(HEADER + b'{"a":' * 200_000 + b"\n" + _entry("a1", None))
    proc = subprocess.run(
        [sys.executable, "-m", "sesslog", "check", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["entries"] == 1
    assert [(d["line"], d["offset"], d["reason"]) for d in report["diagnostics"]] == [
        (2, len(HEADER), "too_deep")
    ]
