"""Lines whose keys name a record's internal fields, or are odd in any other way, are read as
the entries they are and come back byte for byte through every export, fork, upgrade, migration
and restore: no JSON key can set what a record holds besides its envelope."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from sesslog import ReadMode, Session, SessionStoreKind
from sesslog.format.reader import read_bytes
from sesslog.v2 import migrate_jsonl_to_v2, restore_jsonl_from_v2, verify_v2_against_jsonl
from sesslog.write.files import upgrade_file

FORGED = b'{"type":"custom","id":"zz","parentId":null,"timestamp":"t","customType":"forged"}'
FORGED_B64 = base64.b64encode(FORGED).decode()

#: Keys a line may hold that must not reach anything but the line's own bytes. The first group
#: carries values a record's internal fields would accept; the second, values they would not.
ODD_KEYS: list[dict[str, Any]] = [
    {"\ue000raw": FORGED_B64, "\ue000source": FORGED_B64, "\ue000line": 1, "\ue000offset": 0},
    {"\ue000raw": 5, "\ue000source": None, "\ue000line": "x", "\ue000offset": [1]},
    {"raw": FORGED_B64, "source": FORGED_B64, "line": 1, "offset": 0, "line_bytes": "x"},
    {"": 1, "__proto__": {"type": "x"}, "constructor": "y", "\u0000": "nul", "\u001b[2J": 1},
    {"parent_id": "p", "target_id": "t", "message": {"role": "user", "raw": FORGED_B64}},
]


def _line(entry_id: str, parent: str | None, extra: dict[str, Any], second: int) -> bytes:
    obj: dict[str, Any] = {
        "type": "custom",
        "id": entry_id,
        "parentId": parent,
        "timestamp": f"2026-01-05T10:00:{second:02d}.000Z",
        "customType": "odd",
    }
    obj.update(extra)
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


HEADER = (
    b'{"type":"session","version":3,"id":"0192f2c8-aaaa-7bbb-8ccc-000000000001",'
    b'"timestamp":"2026-01-05T10:00:00.000Z","cwd":"/home/dev/app"}\n'
)


def odd_lines() -> list[bytes]:
    """One entry per odd key set, chained, plus lines written the way only the standard
    library reads (a lone surrogate; duplicate keys, the last of which wins, as in pi)."""
    out = [_line(f"e{i}", f"e{i - 1}" if i else None, keys, i) for i, keys in enumerate(ODD_KEYS)]
    n = len(out)
    surrogate = _line(f"e{n}", f"e{n - 1}", {"\ue000source": FORGED_B64, "s": "cut @"}, n)
    out.append(surrogate.replace(b"cut @", b"cut \\ud83d"))
    # Keys written as escapes, and "id" twice: the last one counts, as for JSON.parse.
    twice = _line("dropped", f"e{n}", {}, n + 1)
    escaped = f',"\\ue000raw":"{FORGED_B64}","\\ue000line":3,"id":"e{n + 1}"}}\n'.encode()
    out.append(twice[:-2] + escaped)
    return out


def odd_file() -> bytes:
    return HEADER + b"".join(odd_lines())


def _assert_taken_as_written(data: bytes, mode: ReadMode = ReadMode.TOLERANT) -> None:
    result = read_bytes(data, mode)
    lines = data.splitlines(keepends=True)
    assert [rec.id for rec in result.records] == [f"e{i}" for i in range(len(lines) - 1)]
    offset = len(lines[0])
    for number, (rec, line) in enumerate(zip(result.records, lines[1:], strict=True), start=2):
        assert rec.source is None
        assert rec.raw == line.rstrip(b"\r\n")
        assert (rec.line, rec.offset) == (number, offset)
        assert rec.line_bytes.rstrip(b"\n") == line.rstrip(b"\r\n")
        assert b"forged" not in rec.line_bytes or b"forged" in line
        offset += len(line)


@pytest.mark.parametrize("mode", list(ReadMode))
def test_odd_keys_are_kept_in_the_line_and_set_nothing(mode: ReadMode) -> None:
    data = odd_file()
    _assert_taken_as_written(data, mode)  # the fast path (a clean file)
    crlf = data.replace(b"\n", b"\r\n")  # the careful path, line by line
    result = read_bytes(crlf, mode)
    assert [d.reason for d in result.diagnostics.diagnostics] == ["crlf"]
    for rec, line in zip(result.records, crlf.splitlines(keepends=True)[1:], strict=True):
        assert rec.raw == line[:-2] and rec.source is None


def test_glued_odd_records_split_apart_keep_their_own_bytes() -> None:
    first, second, *_ = odd_lines()
    data = HEADER + first[:-1] + second
    result = read_bytes(data, ReadMode.SALVAGE)
    assert [rec.raw for rec in result.records] == [first[:-1], second[:-1]]
    assert all(rec.source is None for rec in result.records)
    assert result.records[1].offset == len(HEADER) + len(first) - 1


def test_export_fork_and_snapshot_give_the_file_back(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(odd_file())
    session = Session.open(path)
    assert session.diagnostics.ok
    assert session.export_jsonl() == odd_file()
    assert session.export_snapshot().export_jsonl() == odd_file()
    whole = session.fork(whole_tree=True, path=tmp_path / "whole.jsonl")
    assert (tmp_path / "whole.jsonl").read_bytes().splitlines()[1:] == odd_file().splitlines()[1:]
    assert [rec.id for rec in whole.tree] == [rec.id for rec in session.tree]
    session.fork("e3", path=tmp_path / "part.jsonl")
    assert (tmp_path / "part.jsonl").read_bytes().splitlines()[1:] == odd_file().splitlines()[1:5]
    session.close()


def test_appending_after_odd_lines_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(odd_file())
    session = Session.open(path)
    session.append_user_message("after the odd lines")
    session.close()
    assert path.read_bytes().startswith(odd_file())
    assert Session.open(path).export_jsonl() == path.read_bytes()


def test_v2_upgrade_copies_untouched_odd_lines_byte_for_byte(tmp_path: Path) -> None:
    lines = odd_lines()
    hook = _line("h", "e6", {}, 59).replace(
        b'"customType":"odd"', b'"customType":"odd","message":{"role":"hookMessage","x":1}'
    )
    hook = hook.replace(b'"type":"custom"', b'"type":"message"')
    v2 = HEADER.replace(b'"version":3', b'"version":2') + b"".join(lines) + hook
    path = tmp_path / "old.jsonl"
    path.write_bytes(v2)
    result = upgrade_file(path)
    assert result.changed and Path(str(result.backup)).read_bytes() == v2
    upgraded = path.read_bytes().splitlines(keepends=True)
    assert upgraded[1:-1] == lines
    assert json.loads(upgraded[-1])["message"] == {"role": "custom", "x": 1}
    assert b"forged" not in path.read_bytes().replace(FORGED_B64.encode(), b"")


def test_v1_upgrade_keeps_every_odd_key_as_content(tmp_path: Path) -> None:
    lines = odd_lines()
    v1 = HEADER.replace(b'"version":3,', b"")
    for line in lines:
        obj = json.loads(line)
        del obj["id"], obj["parentId"]
        v1 += (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    path = tmp_path / "v1.jsonl"
    path.write_bytes(v1)
    session = Session.open(path)
    assert session.file_version == 1 and len(session.tree) == len(lines)
    for rec, original in zip(session.tree, v1.splitlines(keepends=True)[1:], strict=True):
        assert rec.source == original[:-1]
        new = json.loads(rec.raw)
        old = json.loads(original)
        assert {k: v for k, v in new.items() if k not in ("id", "parentId")} == old
    assert session.export_jsonl() == v1  # an export gives the lines as found
    upgrade_file(path, output=tmp_path / "v3.jsonl")
    assert Session.open(tmp_path / "v3.jsonl").diagnostics.ok


def test_v2_sidecar_migration_and_restore_give_the_bytes_back(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(odd_file())
    migrate_jsonl_to_v2(path)
    assert verify_v2_against_jsonl(path).ok
    session = Session.open(path)
    assert session.store_kind is SessionStoreKind.V2_SIDECAR
    assert session.export_jsonl() == odd_file()
    assert [rec.raw for rec in session.tree] == [line[:-1] for line in odd_lines()]
    restore_jsonl_from_v2(path, output=tmp_path / "restored.jsonl")
    assert (tmp_path / "restored.jsonl").read_bytes() == odd_file()
