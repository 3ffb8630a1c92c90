"""Check a sidecar against its session file, byte for byte and entry by entry.

:func:`verify_v2_against_jsonl` reads every file of the sidecar and every covered byte of the
session file, and reports each disagreement precisely: the sidecar file and byte offset, the
frame, and where it touches entries, the entry id and line number.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import zstandard

from sesslog.backends.fingerprints import edges_of_bytes, sha256_hex
from sesslog.errors import SidecarCorruptError, SidecarError
from sesslog.format.reader import SessionData, read_bytes
from sesslog.format.records import Record, record_from_line
from sesslog.projections.sidecar import sidecar_folder
from sesslog.tree.context import build_context
from sesslog.tree.index import SessionTree
from sesslog.v2.build import tree_parents
from sesslog.v2.index import DIRECT, ENVELOPE_FIELDS, FrameInfo, IndexPart, Row
from sesslog.v2.layout import MANIFEST_NAME
from sesslog.v2.manifest import Manifest, read_manifest
from sesslog.v2.opening import load_sidecar
from sesslog.v2.store import Sidecar

__all__ = ["VerifyProblem", "VerifyReport", "verify_v2_against_jsonl"]


class VerifyProblem(msgspec.Struct, frozen=True, rename="camel"):
    """One disagreement found by :func:`verify_v2_against_jsonl`.

    Attributes:
        kind: ``manifest``, ``file`` (missing, wrong size or hash), ``index``, ``frame``,
            ``source`` (the session file changed), ``content`` (bytes differ), ``entry`` (an
            entry's row or envelope is wrong) or ``tree`` (the opened sessions differ).
        detail: What exactly, for people.
        file: The sidecar file concerned.
        offset: Byte offset in ``file`` (or in the session file for ``source``/``content``).
        entry_id: The entry concerned.
        line: The session file's line concerned.
    """

    kind: str
    detail: str
    file: str | None = None
    offset: int | None = None
    entry_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = [self.kind]
        if self.file is not None:
            where.append(self.file if self.offset is None else f"{self.file}@{self.offset}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.entry_id is not None:
            where.append(f"entry {self.entry_id}")
        return f"{' '.join(where)}: {self.detail}"


class VerifyReport(msgspec.Struct, rename="camel"):
    """What :func:`verify_v2_against_jsonl` found.

    Attributes:
        ok: True when nothing disagrees.
        session: The session file.
        sidecar: The sidecar folder.
        covered: Session bytes the sidecar holds.
        source_size: Size of the session file (more than ``covered`` when it grew since).
        stale: The session file grew past the covered prefix (not a problem in itself).
        entries: Entries checked.
        frames: Frames checked.
        problems: Every disagreement.
        warnings: Things worth knowing that are not disagreements (leftover files).
    """

    ok: bool
    session: str
    sidecar: str
    covered: int = 0
    source_size: int = 0
    stale: bool = False
    entries: int = 0
    frames: int = 0
    problems: list[VerifyProblem] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)


def verify_v2_against_jsonl(
    path: str | os.PathLike[str],
    *,
    folder: Path | None = None,
    source: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Verify a sidecar against its session file.

    Every frame is decompressed and compared with the file's bytes; every entry's bytes are
    checked against their crc32 and their envelope; the sidecar's files against the manifest's
    sizes and hashes; the session opened through the sidecar against the session read from the
    file (tree, leaf, labels, name, diagnostics, context).

    Args:
        path: The session file.
        folder: The sidecar folder to check (default: the published one, ``<name>.v2``).
        source: The session's bytes, instead of reading the file.
        progress: Called with ``(bytes done, bytes total)`` as frames are checked.

    Returns:
        The report; ``ok`` is false when anything disagrees.
    """
    session = Path(path)
    folder = folder if folder is not None else sidecar_folder(session)
    checker = _Checker(session, folder, source, progress)
    checker.run()
    return checker.report


class _Checker:
    def __init__(
        self,
        session: Path,
        folder: Path,
        source: bytes | None,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.session = session
        self.folder = folder
        self.source = source
        self.progress = progress
        self.report = VerifyReport(ok=False, session=str(session), sidecar=str(folder))
        self.ids: dict[int, str] = {}

    def problem(self, kind: str, detail: str, **where: Any) -> None:
        found = VerifyProblem(kind, detail, **where)
        self.report.problems.append(found)

    def run(self) -> None:
        try:
            manifest = read_manifest(self.folder)
        except FileNotFoundError:
            self.problem("manifest", "no manifest: not a sidecar", file=MANIFEST_NAME)
            return
        except SidecarCorruptError as exc:
            self.problem("manifest", str(exc), file=MANIFEST_NAME)
            return
        report = self.report
        report.covered = manifest.source.size
        data = self._source(manifest)
        self._files(manifest)
        with Sidecar(self.folder, manifest) as sidecar:
            parts = self._parts(sidecar)
            try:
                frames = sidecar.frames()
            except (OSError, SidecarCorruptError) as exc:
                self.problem("index", f"no frame table: {exc}")
                frames = []
            envelopes = self._envelopes(parts, manifest)
            rows = self._rows(parts)
            for number, frame in enumerate(frames):
                self._frame(sidecar, number, frame, data, rows, envelopes)
                if self.progress is not None:
                    self.progress(frame.start + frame.length, manifest.source.size)
            report.frames = len(frames)
            report.entries = manifest.entries
            if not report.problems and data is not None:
                self._trees(sidecar, data[: manifest.source.size], rows)
        report.ok = not report.problems

    # ------------------------------------------------------------------ source and files

    def _source(self, manifest: Manifest) -> bytes | None:
        source = manifest.source
        data = self.source
        if data is None:
            try:
                data = self.session.read_bytes()
            except FileNotFoundError:
                self.problem("source", "the session file is missing")
                return None
        self.report.source_size = len(data)
        self.report.stale = len(data) > source.size
        if len(data) < source.size:
            self.problem(
                "source",
                f"the session file has {len(data)} bytes, the sidecar covers {source.size}",
                offset=len(data),
            )
        for piece in source.ranges:
            chunk = data[piece.start : piece.end]
            if len(chunk) == piece.end - piece.start and sha256_hex(chunk) != piece.sha256:
                self.problem(
                    "source",
                    f"session bytes {piece.start}-{piece.end} changed since they were migrated",
                    offset=piece.start,
                )
        if len(data) >= source.size and edges_of_bytes(data[: source.size]) != source.edges:
            self.problem("source", "the edges digest of the covered bytes does not match")
        return data

    def _files(self, manifest: Manifest) -> None:
        named = set(manifest.file_names())
        for entry in manifest.payload_files():
            path = self.folder / entry.name
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                self.problem("file", "missing", file=entry.name)
                continue
            if len(content) != entry.size:
                self.problem(
                    "file",
                    f"has {len(content)} bytes, the manifest says {entry.size}",
                    file=entry.name,
                    offset=min(len(content), entry.size),
                )
            if sha256_hex(content) != entry.sha256:
                self.problem("file", "checksum does not match the manifest", file=entry.name)
        try:
            present = set(os.listdir(self.folder))
        except FileNotFoundError:
            present = set()
        for name in sorted(present - named):
            self.report.warnings.append(f"{name}: not named by the manifest (a leftover)")

    # ------------------------------------------------------------------ index

    def _parts(self, sidecar: Sidecar) -> list[IndexPart | None]:
        """Each index part read and its sections checked (``None`` for an unreadable one)."""
        manifest = sidecar.manifest
        parts: list[IndexPart | None] = []
        for entry in manifest.index:
            try:
                part = IndexPart((self.folder / entry.name).read_bytes(), entry.name)
                for name in part.sections:
                    part.section(name)
                part.facts()
                part.frames()
            except (OSError, SidecarCorruptError) as exc:
                offset = getattr(exc, "offset", None)
                self.problem("index", str(exc), file=entry.name, offset=offset)
                parts.append(None)
                continue
            if (part.first_entry, part.entries) != (entry.first_entry, entry.entries):
                self.problem("index", "entry range disagrees with the manifest", file=entry.name)
            parts.append(part)
        last = parts[-1] if parts else None
        if last is not None:
            facts = last.facts()
            if facts.entries != manifest.entries or facts.size != manifest.source.size:
                self.problem(
                    "index",
                    "facts disagree with the manifest's entry count or size",
                    file=manifest.index[-1].name,
                )
        return parts

    def _envelopes(self, parts: list[IndexPart | None], manifest: Manifest) -> list[Record] | None:
        found: list[Record] = []
        for entry, part in zip(manifest.index, parts, strict=True):
            if part is None or part.facts().mode != DIRECT:
                return None
            try:
                records = part.envelopes(manifest.source.size + 256 * (manifest.entries + 1))
            except SidecarCorruptError as exc:
                self.problem("index", str(exc), file=entry.name)
                return None
            if records is None:
                self.problem("index", "envelopes section missing", file=entry.name)
                return None
            found.extend(records)
        return found

    def _rows(self, parts: list[IndexPart | None]) -> dict[int, Row]:
        rows: dict[int, Row] = {}
        for part in parts:
            if part is None:
                continue
            for number, row in part.iter_rows():
                if row is None:
                    self.problem("index", f"row {number} checksum mismatch", file=part.file)
                else:
                    rows[number] = row
        return rows

    # ------------------------------------------------------------------ frames

    def _frame(
        self,
        sidecar: Sidecar,
        number: int,
        frame: FrameInfo,
        data: bytes | None,
        rows: dict[int, Row],
        envelopes: list[Record] | None,
    ) -> None:
        segment = sidecar.manifest.segments[frame.segment].name
        where = f"frame {number} (session bytes {frame.start}-{frame.start + frame.length}"
        where += f", from line {frame.first_line})"
        try:
            blob = sidecar.reader.compressed(frame.segment, frame.offset, frame.size)
            content = sidecar.reader.decompress(
                blob, frame.length, segment=frame.segment, offset=frame.offset
            )
            tail = zstandard.ZstdDecompressor().decompressobj()
            tail.decompress(blob)
            if tail.unused_data or not tail.eof:
                raise SidecarCorruptError("bytes after the frame's end", offset=frame.offset)
        except (OSError, SidecarCorruptError) as exc:
            self.problem(
                "frame", f"{where}: {exc}", file=segment, offset=frame.offset, line=frame.first_line
            )
            return
        if data is not None:
            expected = data[frame.start : frame.start + frame.length]
            if content != expected:
                at = next(
                    (i for i, (a, b) in enumerate(zip(content, expected, strict=False)) if a != b),
                    min(len(content), len(expected)),
                )
                line = frame.first_line + content.count(b"\n", 0, at)
                self.problem(
                    "content",
                    f"session byte {frame.start + at} differs from the sidecar ({where})",
                    offset=frame.start + at,
                    line=line,
                    entry_id=self._entry_at_line(frame, line, rows, envelopes),
                )
        self._entries(frame, number, content, rows, envelopes)

    def _entry_at_line(
        self, frame: FrameInfo, line: int, rows: dict[int, Row], envelopes: list[Record] | None
    ) -> str | None:
        for number in range(frame.first_row, frame.first_row + frame.rows):
            row = rows.get(number)
            if row is not None and row.line == line:
                return self._id(number, envelopes)
        return None

    def _id(self, number: int, envelopes: list[Record] | None) -> str | None:
        if number in self.ids:
            return self.ids[number]
        if envelopes is not None and 0 <= number < len(envelopes):
            value = envelopes[number].id
            return value if isinstance(value, str) else None
        return None

    def _entries(
        self,
        frame: FrameInfo,
        number: int,
        content: bytes,
        rows: dict[int, Row],
        envelopes: list[Record] | None,
    ) -> None:
        for row_number in range(frame.first_row, frame.first_row + frame.rows):
            row = rows.get(row_number)
            if row is None:
                continue
            raw = content[row.start : row.start + row.length]
            rec = record_from_line(raw)
            if rec is not None and isinstance(rec.id, str):
                self.ids[row_number] = rec.id
            entry_id = self._id(row_number, envelopes)
            where = {"entry_id": entry_id, "line": row.line}
            if row.frame != number or len(raw) != row.length:
                self.problem("entry", f"row {row_number} points outside frame {number}", **where)
                continue
            if zlib.crc32(raw) != row.crc:
                self.problem("entry", "the entry's bytes fail their checksum", **where)
            if rec is None:
                self.problem("entry", "the entry's bytes are not a JSON object", **where)
                continue
            if envelopes is not None and row_number < len(envelopes):
                envelope = envelopes[row_number]
                rec.line, rec.offset = row.line, row.offset
                for attr, _ in ENVELOPE_FIELDS:
                    if getattr(envelope, attr) != getattr(rec, attr):
                        self.problem("entry", f"index envelope disagrees on {attr}", **where)

    # ------------------------------------------------------------------ trees

    def _trees(self, sidecar: Sidecar, data: bytes, rows: dict[int, Row]) -> None:
        expected = read_bytes(data, path=str(self.session))
        reference = _tree(expected)
        try:
            loaded = load_sidecar(sidecar, self.session)
        except (SidecarError, OSError) as exc:
            self.problem("tree", f"the sidecar does not open: {exc}")
            return
        _compare_trees(self, (expected, reference), (loaded.data, _tree(loaded.data)))
        parents = tree_parents(expected.records, reference)
        for number, parent in enumerate(parents):
            row = rows.get(number)
            if row is not None and row.parent != parent:
                rec = expected.records[number]
                self.problem(
                    "entry",
                    f"index parent row {row.parent}, the tree says {parent}",
                    entry_id=rec.id if isinstance(rec.id, str) else None,
                    line=rec.line,
                )
        facts = sidecar.facts(whole=True)
        if (facts.leaf_id, facts.labels, facts.name) != (
            reference.leaf_id,
            reference.labels,
            reference.name,
        ):
            self.problem("index", "stored leaf, labels or name disagree with the session")


def _tree(data: SessionData) -> SessionTree:
    """The tree of a read, its diagnostics sorted as a session shows them."""
    tree = SessionTree(data.records, data.diagnostics)
    data.diagnostics.sort()
    return tree


def _compare_trees(
    checker: _Checker,
    reference: tuple[SessionData, SessionTree],
    opened: tuple[SessionData, SessionTree],
) -> None:
    """The session read from the file and through the sidecar must be the same."""
    (expected, theirs_tree), (loaded, mine_tree) = reference, opened
    if loaded.header_raw != expected.header_raw:
        checker.problem("tree", "the header line differs", line=1)
    mine = list(mine_tree)
    theirs = list(theirs_tree)
    for a, b in zip(mine, theirs, strict=False):
        if a != b:
            checker.problem("tree", "entry differs", entry_id=str(b.id), line=b.line)
            return
    if len(mine) != len(theirs):
        checker.problem(
            "tree", f"{len(mine)} entries through the sidecar, {len(theirs)} in the file"
        )
    if msgspec.to_builtins(mine_tree.nodes()) != msgspec.to_builtins(theirs_tree.nodes()):
        checker.problem("tree", "the trees differ")
    if mine_tree.diagnostics.diagnostics != theirs_tree.diagnostics.diagnostics:
        checker.problem("tree", "the diagnostics differ")
    if build_context(mine_tree).to_json() != build_context(theirs_tree).to_json():
        checker.problem("tree", "the contexts differ")
