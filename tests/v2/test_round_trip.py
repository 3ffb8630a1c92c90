"""Every session sesslog can read goes through a sidecar and comes back the same.

For each conformance case, real pi file, generated fixture and hand-made damaged file: migrate,
verify clean, open through the sidecar (whole, active path, tail) and compare with the file,
and rebuild the file byte for byte from the sidecar alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sidecar_helpers import SMALL, snapshot

from sesslog import FormatError, OpenScope, ReadMode, Session, SessionStoreKind
from sesslog.v2 import (
    StateKind,
    migrate_dry_run,
    migrate_jsonl_to_v2,
    migration_status,
    restore_jsonl_from_v2,
    verify_v2_against_jsonl,
)


def _round_trip(path: Path) -> None:
    original = path.read_bytes()
    result = migrate_jsonl_to_v2(path, **SMALL)
    assert result.action == "migrated"
    assert migration_status(path).kind is StateKind.MIGRATED
    report = verify_v2_against_jsonl(path)
    assert report.ok, report.problems
    from_file = Session.open(path, sidecar=False)
    from_sidecar = Session.open(path)
    assert from_file.store_kind is SessionStoreKind.JSONL
    assert from_sidecar.store_kind is SessionStoreKind.V2_SIDECAR
    assert snapshot(from_sidecar) == snapshot(from_file)
    _check_partial(path, from_file)
    _check_strict(path)
    copy = path.with_name("restored.jsonl")
    restore_jsonl_from_v2(path, output=copy)
    assert copy.read_bytes() == original
    assert path.read_bytes() == original


def _check_partial(path: Path, whole: Session) -> None:
    active = Session.open(path, scope=OpenScope.active_path())
    assert active.store_kind is SessionStoreKind.V2_SIDECAR
    assert [rec.id for rec in active.tree] == whole.tree.path_ids()
    assert active.context().to_json() == whole.context().to_json()
    assert (active.leaf_id, active.labels, active.name) == (whole.leaf_id, whole.labels, whole.name)
    assert active.diagnostics.diagnostics == whole.diagnostics.diagnostics
    tail = Session.open(path, scope=OpenScope.tail(3))
    assert [rec.id for rec in tail.tree] == whole.tree.path_ids()[-3:]
    assert list(tail.tree) == whole.tree.path()[-3:]


def _check_strict(path: Path) -> None:
    try:
        Session.open(path, mode=ReadMode.STRICT, sidecar=False)
    except FormatError as exc:
        with pytest.raises(FormatError) as caught:
            Session.open(path, mode=ReadMode.STRICT)
        assert str(caught.value) == str(exc)
    else:
        assert Session.open(path, mode=ReadMode.STRICT).store_kind is SessionStoreKind.V2_SIDECAR


def test_conformance_case_round_trips(
    conformance_case: Any, session_file: Callable[[bytes], Path]
) -> None:
    _round_trip(session_file(conformance_case.path.read_bytes()))


def test_generated_fixture_round_trips(
    generated_file: Path, session_file: Callable[[bytes], Path]
) -> None:
    path = session_file(generated_file.read_bytes())
    if generated_file.stem == "missing_header":
        _assert_refused(path)
    else:
        _round_trip(path)


def test_branchy_session_round_trips(branchy: Path) -> None:
    _round_trip(branchy)


_HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}'
)


def _entry(entry_id: str, parent: str | None, extra: str = "") -> bytes:
    parent_json = "null" if parent is None else f'"{parent}"'
    return (
        f'{{"type":"custom","id":"{entry_id}","parentId":{parent_json},'
        f'"timestamp":"2026-01-05T10:00:0{len(entry_id) % 10}.000Z","customType":"t"{extra}}}'
    ).encode()


def _assert_refused(path: Path) -> None:
    """``migrate`` refuses a file that is not a session, as ``upgrade`` does, writing nothing."""
    before = sorted(path.parent.iterdir())
    with pytest.raises(FormatError, match="not a session file"):
        migrate_jsonl_to_v2(path, **SMALL)
    with pytest.raises(FormatError, match="not a session file"):
        migrate_dry_run(path)
    assert sorted(path.parent.iterdir()) == before


NOT_SESSIONS = {
    "empty": b"",
    "no_header": _entry("a", None) + b"\n" + _entry("b", "a") + b"\n",
    "binary": bytes(range(256)) * 64,
    "header_on_line_two": _entry("a", None) + b"\n" + _HEADER + b"\n",
}


@pytest.mark.parametrize("case", sorted(NOT_SESSIONS))
def test_a_file_that_is_not_a_session_is_refused(
    case: str, session_file: Callable[[bytes], Path]
) -> None:
    _assert_refused(session_file(NOT_SESSIONS[case]))


DAMAGED = {
    "header_only": _HEADER + b"\n",
    "blank_first_line": b"\n" + _HEADER + b"\n" + _entry("a", None) + b"\n",
    "no_final_newline": _HEADER + b"\n" + _entry("a", None),
    "crlf": _HEADER + b"\r\n" + _entry("a", None) + b"\r\n" + _entry("b", "a") + b"\r\n",
    "bom_blank_lines": b"\xef\xbb\xbf" + _HEADER + b"\n\n" + _entry("a", None) + b"\n\n\n",
    "torn_tail": _HEADER + b"\n" + _entry("a", None) + b'\n{"type":"custom","id":"b',
    "nul_padding": _HEADER + b"\n" + _entry("a", None) + b"\n" + b"\x00" * 300,
    "nul_before_record": _HEADER + b"\n\x00\x00" + _entry("a", None) + b"\n",
    "glued": _HEADER
    + b"\n"
    + _entry("a", None)
    + _entry("b", "a")
    + b"\n"
    + _entry("c", "a")
    + b"\n",
    "bad_json_middle": _HEADER
    + b"\n"
    + _entry("a", None)
    + b"\n{oops\n"
    + _entry("b", "a")
    + b"\n",
    "not_utf8": _HEADER + b"\n" + _entry("a", None, ',"x":"\xff\xfe"') + b"\n",
    "lone_surrogate_label": _HEADER
    + b"\n"
    + _entry("a", None)
    + b'\n{"type":"label","id":"l","parentId":"a","timestamp":"2026-01-05T10:00:09.000Z",'
    + b'"targetId":"a","label":"x\\ud83d"}\n',
    "lone_surrogate_id": _HEADER + b"\n" + _entry("a\\ud83d", None) + b"\n",
    "huge_int": _HEADER
    + b"\n"
    + _entry("a", None, ',"label":123456789012345678901234567890')
    + b"\n",
    "duplicates": _HEADER
    + b"\n"
    + _entry("a", None)
    + b"\n"
    + _entry("a", None)
    + b"\n"
    + _entry("a", None, ',"v":2')
    + b"\n",
    "orphan_and_cycle": _HEADER
    + b"\n"
    + _entry("a", "zz")
    + b"\n"
    + _entry("b", "c")
    + b"\n"
    + _entry("c", "b")
    + b"\n",
    "future_version": _HEADER.replace(b'"version":3', b'"version":9')
    + b"\n"
    + _entry("a", None)
    + b"\n",
    "duplicate_header": _HEADER + b"\n" + _HEADER + b"\n" + _entry("a", None) + b"\n",
    "long_line": _HEADER + b"\n" + _entry("a", None, ',"blob":"' + "x" * 300_000 + '"') + b"\n",
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_file_round_trips(case: str, session_file: Callable[[bytes], Path]) -> None:
    _round_trip(session_file(DAMAGED[case]))


def test_salvage_mode_through_the_sidecar_keeps_glued_records(
    session_file: Callable[[bytes], Path],
) -> None:
    path = session_file(DAMAGED["glued"])
    migrate_jsonl_to_v2(path)
    opened = Session.open(path, mode=ReadMode.SALVAGE)
    assert opened.store_kind is SessionStoreKind.V2_SIDECAR
    assert snapshot(opened) == snapshot(Session.open(path, mode=ReadMode.SALVAGE, sidecar=False))
    assert len(opened) == 3
