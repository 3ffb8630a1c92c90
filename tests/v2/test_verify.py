"""``verify`` finds every kind of damage and names where it is; readers are never misled.

A flipped byte anywhere in any sidecar file, a truncated or missing segment, an index or a
manifest that disagrees (with valid checksums), and a session file edited after migration are
each reported with the file, offset, line or entry concerned. After each, opening the session
still gives exactly what the file holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zstandard
from sidecar_helpers import SMALL, snapshot

from sesslog import OpenScope, Session, SessionStoreKind
from sesslog.format.reader import read_file
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2 import (
    StateKind,
    migrate_jsonl_to_v2,
    migration_status,
    verify_v2_against_jsonl,
)
from sesslog.v2.index import ROW, IndexPart, Row, encode_index_part, pack_row
from sesslog.v2.manifest import Manifest, decode_manifest, encode_manifest, sha256_hex

_SOAK = bool(os.environ.get("SESSLOG_SOAK"))


@pytest.fixture
def migrated(branchy: Path) -> Path:
    migrate_jsonl_to_v2(branchy, **SMALL)
    manifest = _manifest(branchy)
    assert len(manifest.segments) >= 2 and manifest.frames >= 4
    return branchy


@pytest.fixture
def expected(migrated: Path) -> dict[str, Any]:
    return snapshot(Session.open(migrated, sidecar=False))


def _offsets(size: int) -> list[int]:
    count = size if _SOAK else 24
    step = max(1, size // count)
    return sorted({0, 1, size // 2, size - 2, size - 1, *range(3, size, step)})


def _sidecar_files(path: Path) -> list[Path]:
    return sorted(sidecar_folder(path).iterdir())


def _assert_never_wrong(path: Path, expected: dict[str, Any]) -> None:
    """Whatever store is read, the session is what the file holds."""
    assert snapshot(Session.open(path)) == expected
    for mode in (OpenScope.tail(5), OpenScope.active_path()):
        opened = Session.open(path, scope=mode)
        if opened.store_kind is SessionStoreKind.JSONL:
            assert snapshot(opened) == expected
            continue
        path_ids = [node["id"] for node in _path_nodes(expected)]
        want = path_ids[-5:] if mode.kind == "tail" else path_ids
        assert [rec.id for rec in opened.tree] == want
        assert opened.context().to_json() == expected["context"] or mode.kind == "tail"


def _path_nodes(expected: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {node["id"]: node for node in expected["nodes"]}
    chain = []
    node_id = expected["leafId"]
    while node_id is not None:
        chain.append(by_id[node_id])
        node_id = by_id[node_id]["parentId"]
    return chain[::-1]


def test_every_sidecar_file_is_covered(migrated: Path) -> None:
    names = [p.name for p in _sidecar_files(migrated)]
    assert "manifest.json" in names
    assert any(n.startswith("seg-") for n in names)
    assert any(n.startswith("index-") for n in names)


@pytest.mark.parametrize("kind", ["manifest", "seg", "index"])
def test_a_flipped_byte_anywhere_is_reported(
    migrated: Path, expected: dict[str, Any], kind: str
) -> None:
    files = [p for p in _sidecar_files(migrated) if p.name.startswith(kind)]
    jsonl = migrated.read_bytes()
    checked = 0
    for file in files:
        original = file.read_bytes()
        for offset in _offsets(len(original)):
            damaged = bytearray(original)
            damaged[offset] ^= 1 << (offset % 8)
            file.write_bytes(damaged)
            report = verify_v2_against_jsonl(migrated)
            assert not report.ok, (file.name, offset)
            named = {p.file for p in report.problems}
            assert file.name in named, (file.name, offset, report.problems)
            assert migration_status(migrated).kind is StateKind.CORRUPT
            _assert_never_wrong(migrated, expected)
            file.write_bytes(original)
            checked += 1
    assert checked >= 24 * len(files)
    assert migrated.read_bytes() == jsonl
    assert verify_v2_against_jsonl(migrated).ok


def test_a_flipped_segment_byte_names_its_frame_and_lines(migrated: Path) -> None:
    folder = sidecar_folder(migrated)
    manifest = _manifest(migrated)
    segment = folder / manifest.segments[1].name
    original = segment.read_bytes()
    damaged = bytearray(original)
    damaged[len(original) // 2] ^= 0x10
    segment.write_bytes(damaged)
    report = verify_v2_against_jsonl(migrated)
    frames = [p for p in report.problems if p.kind == "frame"]
    assert len(frames) == 1
    (problem,) = frames
    assert problem.file == segment.name
    assert problem.offset is not None and problem.offset <= len(original) // 2
    assert problem.line is not None and problem.line > 1
    assert "session bytes" in problem.detail


def test_a_truncated_segment_is_reported(migrated: Path, expected: dict[str, Any]) -> None:
    folder = sidecar_folder(migrated)
    manifest = _manifest(migrated)
    last = folder / manifest.segments[-1].name
    data = last.read_bytes()
    last.write_bytes(data[:-100])
    report = verify_v2_against_jsonl(migrated)
    assert not report.ok
    sizes = [p for p in report.problems if p.kind == "file" and p.file == last.name]
    assert any(f"has {len(data) - 100} bytes" in p.detail for p in sizes)
    truncated = [p for p in report.problems if p.kind == "frame"]
    assert truncated and all(p.file == last.name for p in truncated)
    assert "truncated" in truncated[-1].detail
    assert migration_status(migrated, thorough=False).kind is StateKind.CORRUPT
    _assert_never_wrong(migrated, expected)


def test_a_missing_segment_is_reported(migrated: Path, expected: dict[str, Any]) -> None:
    folder = sidecar_folder(migrated)
    manifest = _manifest(migrated)
    gone = manifest.segments[0].name
    (folder / gone).unlink()
    report = verify_v2_against_jsonl(migrated)
    assert any(
        p.kind == "file" and p.file == gone and p.detail == "missing" for p in report.problems
    )
    assert any(p.kind == "frame" and p.file == gone for p in report.problems)
    state = migration_status(migrated, thorough=False)
    assert state.kind is StateKind.CORRUPT and gone in str(state.reason)
    _assert_never_wrong(migrated, expected)


def test_a_missing_index_part_is_reported(migrated: Path, expected: dict[str, Any]) -> None:
    name = _manifest(migrated).index[0].name
    (sidecar_folder(migrated) / name).unlink()
    report = verify_v2_against_jsonl(migrated)
    assert any(
        p.kind == "file" and p.file == name and p.detail == "missing" for p in report.problems
    )
    assert any(p.kind == "index" and p.file == name for p in report.problems)
    assert migration_status(migrated).kind is StateKind.CORRUPT
    _assert_never_wrong(migrated, expected)


def _manifest(path: Path) -> Manifest:
    return decode_manifest((sidecar_folder(path) / "manifest.json").read_bytes())


def _resign(path: Path, manifest: Manifest) -> None:
    (sidecar_folder(path) / "manifest.json").write_bytes(encode_manifest(manifest))


def _rewrite_index(
    path: Path, rows_change: Any = None, frames_change: Any = None, envelopes_change: Any = None
) -> None:
    """Rewrite index part 0 with its rows, frames or envelopes changed, every checksum made
    valid."""
    folder = sidecar_folder(path)
    manifest = _manifest(path)
    entry = manifest.index[0]
    part = IndexPart((folder / entry.name).read_bytes(), entry.name)
    rows = bytearray(part.section("rows") or b"")
    if rows_change is not None:
        rows_change(rows)
    frames = part.frames()
    if frames_change is not None:
        frames = frames_change(frames)
    envelopes = part.section("envelopes")
    envelopes_raw_length = part.sections["envelopes"].raw_length
    if envelopes_change is not None and envelopes is not None:
        items = msgspec.msgpack.decode(zstandard.ZstdDecompressor().decompress(envelopes))
        envelopes_change(items)
        raw = msgspec.msgpack.encode(items)
        envelopes, envelopes_raw_length = zstandard.ZstdCompressor().compress(raw), len(raw)
    blob = encode_index_part(
        first_entry=part.first_entry,
        first_frame=part.header.first_frame,
        facts=part.facts(),
        frames=frames,
        header_raw=part.header_raw(),
        rows=bytes(rows),
        envelopes=None if envelopes is None else bytes(envelopes),
        envelopes_raw_length=envelopes_raw_length,
    )
    (folder / entry.name).write_bytes(blob)
    fixed = msgspec.structs.replace(entry, size=len(blob), sha256=sha256_hex(blob))
    _resign(path, msgspec.structs.replace(manifest, index=[fixed, *manifest.index[1:]]))


def _set_row(rows: bytearray, number: int, **fields: int) -> None:
    at = number * ROW.size
    old = Row(*ROW.unpack_from(rows, at)[:-1])
    rows[at : at + ROW.size] = pack_row(msgspec.structs.replace(old, **fields))


@pytest.mark.parametrize("key", ["\ue000source", "\ue000raw"])
def test_an_envelope_cannot_set_line_bytes(
    migrated: Path, expected: dict[str, Any], key: str
) -> None:
    def craft(items: list[dict[str, Any]]) -> None:
        for item in items:
            item[key] = b'{"type":"message","id":"forged"}'

    _rewrite_index(migrated, envelopes_change=craft)
    report = verify_v2_against_jsonl(migrated)
    assert any(p.kind == "index" and "line bytes" in p.detail for p in report.problems)
    _assert_never_wrong(migrated, expected)


def test_an_index_that_disagrees_names_the_entry(migrated: Path, expected: dict[str, Any]) -> None:
    records = read_file(migrated).records
    victim = records[10]
    _rewrite_index(migrated, lambda rows: _set_row(rows, 10, parent=3))
    report = verify_v2_against_jsonl(migrated)
    assert not report.ok
    problem = next(p for p in report.problems if "parent" in p.detail)
    assert (problem.kind, problem.entry_id, problem.line) == ("entry", victim.id, victim.line)
    _assert_never_wrong(migrated, expected)


def test_an_index_row_pointing_elsewhere_is_reported(
    migrated: Path, expected: dict[str, Any]
) -> None:
    records = read_file(migrated).records
    _rewrite_index(migrated, lambda rows: _set_row(rows, 20, line=records[20].line + 1))
    report = verify_v2_against_jsonl(migrated)
    problem = next(p for p in report.problems if p.kind == "entry")
    assert problem.entry_id == records[20].id
    assert "line" in problem.detail
    _assert_never_wrong(migrated, expected)


def test_a_manifest_that_disagrees_is_reported(migrated: Path, expected: dict[str, Any]) -> None:
    folder = sidecar_folder(migrated)
    manifest = _manifest(migrated)
    wrong = msgspec.structs.replace(manifest.segments[0], sha256=sha256_hex(b"other"))
    resigned = msgspec.structs.replace(manifest, segments=[wrong, *manifest.segments[1:]])
    (folder / "manifest.json").write_bytes(encode_manifest(resigned))
    report = verify_v2_against_jsonl(migrated)
    assert [(p.kind, p.file) for p in report.problems] == [("file", wrong.name)]
    assert "checksum" in report.problems[0].detail
    miscounted = msgspec.structs.replace(manifest, entries=manifest.entries + 1)
    (folder / "manifest.json").write_bytes(encode_manifest(miscounted))
    report = verify_v2_against_jsonl(migrated)
    assert any(p.kind == "index" and "entry count" in p.detail for p in report.problems)
    _assert_never_wrong(migrated, expected)


def test_a_manifest_naming_files_elsewhere_is_refused(migrated: Path) -> None:
    manifest = _manifest(migrated)
    outside = msgspec.structs.replace(manifest.segments[0], name="../s.jsonl")
    _resign(migrated, msgspec.structs.replace(manifest, segments=[outside]))
    report = verify_v2_against_jsonl(migrated)
    assert [(p.kind, p.file) for p in report.problems] == [("manifest", "manifest.json")]
    assert "unexpected file" in report.problems[0].detail
    assert Session.open(migrated).store_kind is SessionStoreKind.JSONL


def test_a_session_file_edited_after_migration_is_reported(migrated: Path) -> None:
    records = read_file(migrated).records
    victim = records[len(records) // 2]
    data = bytearray(migrated.read_bytes())
    at = victim.offset + len(victim.raw) // 2
    data[at] = ord("Z") if data[at] != ord("Z") else ord("Y")
    migrated.chmod(0o600)
    migrated.write_bytes(bytes(data))
    report = verify_v2_against_jsonl(migrated)
    content = [p for p in report.problems if p.kind == "content"]
    assert [(p.line, p.entry_id, p.offset) for p in content] == [(victim.line, victim.id, at)]
    assert any(p.kind == "source" for p in report.problems)
    state = migration_status(migrated)
    assert state.kind is StateKind.STALE and state.changed_in_place
    assert "changed" in str(state.reason) and "sesslog migrate" in str(state.reason)
    assert snapshot(Session.open(migrated)) == snapshot(Session.open(migrated, sidecar=False))
    assert Session.open(migrated).store_kind.value == "jsonl"


def test_a_truncated_session_file_is_reported(migrated: Path) -> None:
    data = migrated.read_bytes()
    migrated.write_bytes(data[:-50])
    report = verify_v2_against_jsonl(migrated)
    assert any(p.kind == "source" and p.offset == len(data) - 50 for p in report.problems)
    state = migration_status(migrated)
    assert state.kind is StateKind.STALE and state.changed_in_place
    assert "restore-jsonl --force" in str(state.reason)


def test_a_grown_session_file_is_stale_not_wrong(migrated: Path) -> None:
    with migrated.open("ab") as handle:
        handle.write(
            b'{"type":"custom","id":"new1","parentId":null,"timestamp":"x","customType":"t"}\n'
        )
    report = verify_v2_against_jsonl(migrated)
    assert report.ok and report.stale
    assert migration_status(migrated).kind is StateKind.STALE
    opened = Session.open(migrated)
    assert opened.store_kind.value == "jsonl" and opened.leaf_id == "new1"


def test_leftover_files_are_warned_about(migrated: Path) -> None:
    (sidecar_folder(migrated) / "seg-999999.zst").write_bytes(b"junk")
    report = verify_v2_against_jsonl(migrated)
    assert report.ok
    assert any("seg-999999.zst" in w for w in report.warnings)
    assert migration_status(migrated).leftovers == [
        str(sidecar_folder(migrated) / "seg-999999.zst")
    ]


def test_bytes_after_a_frame_are_reported(migrated: Path, expected: dict[str, Any]) -> None:
    """A frame's byte range holding the frame and then more bytes decodes one-shot without
    error; verify still reports it (every checksum below is made valid)."""
    folder = sidecar_folder(migrated)
    last = _manifest(migrated).segments[-1]
    grown = (folder / last.name).read_bytes() + b"\x00" * 8
    (folder / last.name).write_bytes(grown)
    _rewrite_index(
        migrated,
        frames_change=lambda frames: [
            *frames[:-1],
            msgspec.structs.replace(frames[-1], size=frames[-1].size + 8),
        ],
    )
    manifest = _manifest(migrated)
    fixed = msgspec.structs.replace(last, size=len(grown), sha256=sha256_hex(grown))
    _resign(migrated, msgspec.structs.replace(manifest, segments=[*manifest.segments[:-1], fixed]))
    report = verify_v2_against_jsonl(migrated)
    assert [(p.kind, p.file) for p in report.problems] == [("frame", last.name)]
    assert "after the frame" in report.problems[0].detail
    _assert_never_wrong(migrated, expected)
