"""Catch-up: bring a stale sidecar up to date by appending only the session's new lines.

A sidecar is stale when its session file grew past the prefix it holds and that prefix still
looks the same (size and the first and last 64 KiB). Then only the new complete lines are read,
compressed into a new segment and indexed in a new index part, verified, and committed by
replacing the manifest atomically: the payload work is O(new bytes). The tree is re-derived from
the index envelopes (no payload is read) so the stored facts stay exactly those of a full read.

A catch-up is refused, and the sidecar rebuilt instead, when a plain append cannot describe the
result: the held bytes end in an unfinished line, the new lines carry anything the reader
reports (damage, CRLF, blank lines...), the session needs re-reading (legacy versions), or a new
entry changes how an older one attaches (it supplies a parent an older entry named).
"""

from __future__ import annotations

import array
import os
from pathlib import Path

import msgspec

from sesslog.backends.fingerprints import edges_of_file, sha256_hex
from sesslog.backends.fs import atomic_write_bytes, fsync_folder
from sesslog.errors import SidecarCorruptError
from sesslog.format.diagnostics import SessionOpenDiagnostics
from sesslog.format.reader import ReadMode, read_bytes
from sesslog.format.records import Record
from sesslog.format.timestamps import now_iso
from sesslog.projections.ledger import LedgerLock
from sesslog.tree.index import SessionTree
from sesslog.v2.build import (
    PartResult,
    PartSpec,
    direct_possible,
    make_facts,
    write_part,
)
from sesslog.v2.frames import SEGMENT_SIZE
from sesslog.v2.index import (
    DIRECT,
    PARENT_NOT_IN_TREE,
    PARENT_ROOT,
    Facts,
    IndexPart,
    encode_envelopes,
)
from sesslog.v2.layout import MANIFEST_NAME, SidecarPaths
from sesslog.v2.loading import ENVELOPE_SLACK, all_envelopes
from sesslog.v2.manifest import (
    FileIdentity,
    Manifest,
    SourceFingerprint,
    SourceRange,
    encode_manifest,
    read_manifest,
    sha256_of_range,
)
from sesslog.v2.results import MigrationResult, Progress, sidecar_size
from sesslog.v2.status import sidecar_problem
from sesslog.v2.steps import step
from sesslog.v2.store import Sidecar

__all__ = ["catch_up", "read_region", "reattaches"]


def catch_up(
    paths: SidecarPaths, ledger: LedgerLock, *, progress: Progress | None
) -> MigrationResult | str:
    """Append the session's new lines to its sidecar (the caller holds the ledger lock).

    Returns:
        What was done, or the reason the sidecar must be rebuilt instead.
    """
    try:
        sidecar = Sidecar(paths.folder)
    except FileNotFoundError:
        return "the sidecar has no manifest"
    except (SidecarCorruptError, OSError) as exc:
        return f"the sidecar is unusable: {exc}"
    with sidecar:
        try:
            return _catch_up(paths, ledger, sidecar, progress)
        except SidecarCorruptError as exc:
            return f"the sidecar is damaged: {exc}"


def _catch_up(
    paths: SidecarPaths,
    ledger: LedgerLock,
    sidecar: Sidecar,
    progress: Progress | None,
) -> MigrationResult | str:
    manifest = sidecar.manifest
    damage = sidecar_problem(paths, manifest, thorough=False)
    if damage is not None:
        return f"the sidecar is damaged: {damage}"
    freshness = sidecar.freshness(paths.session)
    if freshness.state == "fresh":
        return _result(paths, manifest, "nothing", 0, "already up to date")
    if freshness.state == "unconfirmed":
        return _refresh(paths, ledger, manifest)
    if freshness.state != "grew":
        return freshness.reason or "the session file changed"
    facts = sidecar.facts(whole=True)
    if facts.mode != DIRECT:
        return "sidecars of sessions that are re-read (legacy versions) are rebuilt"
    if not facts.clean_end:
        return "the bytes held end in an unfinished line"
    start = manifest.source.size
    with open(paths.session, "rb") as handle:
        identity = FileIdentity.of(os.fstat(handle.fileno()))
        handle.seek(start)
        tail = handle.read()
    region = tail[: tail.rfind(b"\n") + 1]
    if not region:
        return _result(paths, manifest, "nothing", 0, "the new bytes hold no complete line yet")
    header_raw = sidecar.part(0, whole=True).header_raw()
    if header_raw is None:
        return "the session has no header"
    new = read_region(str(paths.session), header_raw, region, start, facts)
    if isinstance(new, str):
        return new
    old = all_envelopes(sidecar, whole=True)
    records = old + new
    tree = SessionTree(
        records,
        SessionOpenDiagnostics(path=str(paths.session), diagnostics=list(facts.reader_diagnostics)),
    )
    if reattaches(sidecar, old, new):
        return "a new entry changes how an older one attaches to the tree"
    envelopes = encode_envelopes(new, manifest.zstd_level)
    if envelopes is None:
        return "the new entries hold values the index cannot store"
    size = start + len(region)
    new_facts = make_facts(
        file_version=facts.file_version,
        read_only=facts.read_only,
        valid_size=size,
        tree=tree,
        reader_diagnostics=facts.reader_diagnostics,
        records=records,
        size=size,
        lines=facts.lines + region.count(b"\n"),
        clean_end=True,
        direct=True,
    )
    step("catch_up.planned")
    spec = PartSpec(
        data=region,
        base=start,
        base_line=facts.lines + 1,
        records=new,
        parents=_new_parents(tree, records, len(old)),
        first_entry=len(old),
        first_frame=manifest.frames,
        first_segment=len(manifest.segments),
        facts=new_facts,
        header_raw=None,
        envelopes=envelopes,
        level=manifest.zstd_level,
        frame_size=manifest.frame_size,
        segment_size=SEGMENT_SIZE,
        index_number=len(manifest.index),
        step_prefix="catch_up",
        progress=None if progress is None else lambda d: progress("catch_up", d, len(region)),
    )
    committed = False
    try:
        part = write_part(paths.folder, spec)
        fsync_folder(paths.folder)
        step("catch_up.folder_synced")
        updated = _updated_manifest(paths, manifest, part, region, len(records), identity)
        _check_part(paths.folder, updated, part, region, start, new)
        step("catch_up.verified")
        atomic_write_bytes(paths.folder / MANIFEST_NAME, encode_manifest(updated))
        committed = True
        step("catch_up.committed")
    except BaseException:
        if not committed:
            _remove_unnamed(paths.folder, manifest)
        raise
    ledger.append(
        "catch_up",
        migration_id=updated.migration_id,
        generation=updated.generation,
        source_size=size,
        entries=updated.entries,
        sidecar_bytes=sidecar_size(paths.folder, updated),
        detail=f"appended {len(new)} entries ({len(region)} bytes)",
    )
    step("catch_up.recorded")
    return _result(paths, updated, "caught_up", len(region), None)


def read_region(
    session: str, header_raw: bytes, region: bytes, start: int, facts: Facts
) -> list[Record] | str:
    """The records of new whole lines ``region`` found at ``start`` of session ``session``
    (after what ``facts`` describe), with their session-wide lines and offsets, or why they
    need a full read. They are read exactly as the file reader reads them, behind the
    header."""
    header_line = header_raw + b"\n"
    read = read_bytes(header_line + region, ReadMode.TOLERANT, path=session)
    if read.diagnostics.diagnostics:
        first = read.diagnostics.diagnostics[0]
        line = facts.lines + first.line - 1
        return f"the new lines need a full read (line {line}: {first.reason})"
    if read.header_raw != header_raw or not direct_possible(read.file_version, read.records):
        return "the new lines need a full read"
    records = list(read.records)
    for rec in records:
        rec.line += facts.lines - 1
        rec.offset += start - len(header_line)
    return records


def reattaches(sidecar: Sidecar, old: list[Record], new: list[Record]) -> bool:
    """Whether a new entry changes an older one's tree parent.

    Only an older root can change: one whose ``parentId`` named an entry missing from the file
    (or closed a loop). New entries come after it, so first occurrences and the order of
    everything older stay; a new entry can only supply that missing parent.
    """
    parents: array.array[int] = array.array("i")
    for number in range(len(sidecar.manifest.index)):
        parents.extend(sidecar.part(number, whole=False).parents())
    if len(parents) != len(old):
        raise SidecarCorruptError("the parents column disagrees with the entry count")
    named = {
        old[row].parent_id
        for row, parent in enumerate(parents)
        if parent == PARENT_ROOT and old[row].parent_id is not None
    }
    return any(rec.id in named for rec in new)


def _new_parents(tree: SessionTree, records: list[Record], first: int) -> list[int]:
    """Tree parent rows of ``records[first:]`` (see :func:`~sesslog.v2.build.tree_parents`),
    looking older rows up only as far back as the new entries' parents are."""
    rows = {id(rec): row for row, rec in enumerate(records[first:], first)}
    scanned = first
    out = []
    for rec in records[first:]:
        if tree.get(rec.id) is not rec:
            out.append(PARENT_NOT_IN_TREE)
            continue
        parent = tree.parent_of(rec.id)
        if parent is None:
            out.append(PARENT_ROOT)
            continue
        target = id(tree.get(parent))
        while target not in rows:
            scanned -= 1
            rows[id(records[scanned])] = scanned
        out.append(rows[target])
    return out


def _refresh(paths: SidecarPaths, ledger: LedgerLock, manifest: Manifest) -> MigrationResult | str:
    """The file was touched but may hold the same bytes: hash them, and if they match, record
    the file's new identity so that readers use the sidecar again."""
    source = manifest.source
    with open(paths.session, "rb") as handle:
        identity = FileIdentity.of(os.fstat(handle.fileno()))
        for piece in source.ranges:
            if sha256_of_range(handle, piece.start, piece.end) != piece.sha256:
                return f"the session file changed (bytes {piece.start}-{piece.end} differ)"
    step("refresh.checked")
    updated = msgspec.structs.replace(
        manifest,
        updated_at=now_iso(),
        source=msgspec.structs.replace(source, identity=identity),
    )
    atomic_write_bytes(paths.folder / MANIFEST_NAME, encode_manifest(updated))
    step("refresh.committed")
    ledger.append(
        "refresh",
        migration_id=manifest.migration_id,
        generation=manifest.generation,
        source_size=source.size,
        detail="the file was touched; its bytes still match",
    )
    step("refresh.recorded")
    return _result(paths, updated, "refreshed", 0, "the file was touched; its bytes still match")


def _updated_manifest(
    paths: SidecarPaths,
    manifest: Manifest,
    part: PartResult,
    region: bytes,
    entries: int,
    identity: FileIdentity,
) -> Manifest:
    start = manifest.source.size
    size = start + len(region)
    edges = edges_of_file(paths.session, size)
    if edges is None:
        raise SidecarCorruptError("the session file shrank during the catch-up")
    source = SourceFingerprint(
        name=manifest.source.name,
        size=size,
        ranges=[*manifest.source.ranges, SourceRange(start, size, sha256_hex(region))],
        edges=edges,
        identity=identity,
    )
    return msgspec.structs.replace(
        manifest,
        generation=manifest.generation + 1,
        updated_at=now_iso(),
        source=source,
        entries=entries,
        frames=manifest.frames + len(part.frames),
        segments=[*manifest.segments, *part.segments],
        index=[*manifest.index, part.index],
    )


def _check_part(
    folder: Path,
    manifest: Manifest,
    part: PartResult,
    region: bytes,
    start: int,
    records: list[Record],
) -> None:
    """Read the new part back: its frames must rebuild the new bytes and its index must hold
    the new entries (raises :class:`SidecarCorruptError` otherwise)."""
    with Sidecar(folder, manifest) as sidecar:
        for frame in part.frames:
            content = sidecar.frame_content(frame)
            if content != region[frame.start - start : frame.start - start + frame.length]:
                raise SidecarCorruptError(f"a new frame does not rebuild bytes {frame.start}-")
        index: IndexPart = sidecar.part(len(manifest.index) - 1, whole=True)
        stored = index.envelopes(len(region) + ENVELOPE_SLACK * (len(records) + 1))
        if stored is None or [_plain(r) for r in stored] != [_plain(r) for r in records]:
            raise SidecarCorruptError("the new index part does not hold the new entries")


def _plain(rec: Record) -> Record:
    return msgspec.structs.replace(rec, data=b"", start=0, end=-1, source=None)


def _remove_unnamed(folder: Path, fallback: Manifest) -> None:
    """Remove files the manifest on disk does not name (what an interrupted catch-up wrote)."""
    try:
        named = set(read_manifest(folder).file_names())
    except (OSError, SidecarCorruptError):
        named = set(fallback.file_names())
    for name in set(os.listdir(folder)) - named:
        try:
            os.unlink(folder / name)
        except FileNotFoundError:
            continue


def _result(
    paths: SidecarPaths, manifest: Manifest, action: str, new_bytes: int, reason: str | None
) -> MigrationResult:
    return MigrationResult(
        action=action,
        session=str(paths.session),
        sidecar=str(paths.folder),
        migration_id=manifest.migration_id,
        generation=manifest.generation,
        entries=manifest.entries,
        covered=manifest.source.size,
        new_bytes=new_bytes,
        sidecar_bytes=sidecar_size(paths.folder, manifest),
        reason=reason,
    )
