"""Write sidecar parts: frames of the session's bytes, and the index that finds every entry.

A *part* is what one migration or one catch-up adds: new segment files and one index part. A
migration writes one part covering the whole file into an empty folder; a catch-up writes one
more part covering the bytes appended since. The session's tree is always built by the same
code the JSONL reader uses (:class:`~sesslog.tree.index.SessionTree`), so the facts stored in the
index (leaf, labels, name, diagnostics, tree parents) are exactly what opening the file gives.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from sesslog.backends.fs import write_new_file
from sesslog.errors import SidecarError
from sesslog.format.diagnostics import Diagnostic
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.records import Record
from sesslog.tree.index import SessionTree
from sesslog.v2.frames import SegmentWriter, frame_bounds
from sesslog.v2.index import (
    DIRECT,
    PARENT_NOT_IN_TREE,
    PARENT_ROOT,
    REREAD,
    Facts,
    FrameInfo,
    Row,
    encode_index_part,
    pack_row,
)
from sesslog.v2.layout import index_name
from sesslog.v2.manifest import IndexFile, SegmentFile, sha256_hex
from sesslog.v2.steps import step

__all__ = [
    "PartResult",
    "PartSpec",
    "direct_possible",
    "make_facts",
    "tree_parents",
    "write_new_file",
    "write_part",
]


class PartSpec(msgspec.Struct, kw_only=True):
    """What one part covers.

    Attributes:
        data: The session bytes the part covers.
        base: Offset of ``data[0]`` in the session file.
        base_line: Line number of the line starting at ``data[0]``.
        records: The entries whose lines lie in ``data`` (offsets and lines are file-wide).
        parents: Tree parent row of each of ``records`` (see :func:`tree_parents`).
        first_entry: Row number of ``records[0]``.
        first_frame: Global number of the part's first frame.
        first_segment: Number of the first segment file to create.
        facts: The session's facts once this part is added.
        header_raw: The session header line's bytes.
        envelopes: The ``envelopes`` section and its decoded length (``None`` in ``reread``
            mode), see :func:`~sesslog.v2.index.encode_envelopes`.
        level: zstd level.
        frame_size: Bound on a frame's uncompressed size.
        segment_size: Bound on a segment file's size.
        index_number: Number of the index part file.
        step_prefix: ``migrate`` or ``catch_up`` (names the steps reported).
        progress: Called with the number of bytes compressed so far.
    """

    data: bytes
    base: int
    base_line: int
    records: Sequence[Record]
    parents: Sequence[int]
    first_entry: int
    first_frame: int
    first_segment: int
    facts: Facts
    header_raw: bytes | None
    envelopes: tuple[bytes, int] | None
    level: int
    frame_size: int
    segment_size: int
    index_number: int
    step_prefix: str
    progress: Callable[[int], None] | None = None


class PartResult(msgspec.Struct, frozen=True):
    """The files one part wrote."""

    segments: list[SegmentFile]
    index: IndexFile
    frames: list[FrameInfo]


def tree_parents(records: Sequence[Record], tree: SessionTree) -> list[int]:
    """The tree parent of each record as a row number (records are the rows, in order).

    A root gets :data:`~sesslog.v2.index.PARENT_ROOT`; a record the tree leaves out (a later
    line repeating an id) gets :data:`~sesslog.v2.index.PARENT_NOT_IN_TREE`.
    """
    in_tree = {id(rec) for rec in tree.entries}
    row_of = {rec.id: row for row, rec in enumerate(records) if id(rec) in in_tree}
    parents = []
    for rec in records:
        if id(rec) not in in_tree:
            parents.append(PARENT_NOT_IN_TREE)
            continue
        parent = tree.parent_of(rec.id)
        parents.append(PARENT_ROOT if parent is None else row_of[parent])
    return parents


def direct_possible(file_version: int, records: Sequence[Record]) -> bool:
    """A session can be opened from envelopes and rows when its lines needed no upgrade."""
    return file_version >= SESSION_VERSION and all(rec.source is None for rec in records)


def make_facts(
    *,
    file_version: int,
    read_only: bool,
    valid_size: int,
    tree: SessionTree,
    reader_diagnostics: list[Diagnostic],
    records: Sequence[Record],
    size: int,
    lines: int,
    clean_end: bool,
    direct: bool,
) -> Facts:
    """The facts of a session whose records (all of them, in file order) and tree are given.

    ``tree`` must have been built on a diagnostics object holding ``reader_diagnostics`` first:
    the diagnostics it added are the tree's.
    """
    leaf = -1
    if tree.entries:
        last = tree.entries[-1]
        leaf = next(row for row in range(len(records) - 1, -1, -1) if records[row] is last)
    return Facts(
        mode=DIRECT if direct else REREAD,
        file_version=file_version,
        read_only=read_only,
        size=size,
        valid_size=valid_size,
        lines=lines,
        clean_end=clean_end,
        entries=len(records),
        leaf=leaf,
        leaf_id=tree.leaf_id,
        labels=tree.labels,
        name=tree.name,
        reader_diagnostics=reader_diagnostics,
        tree_diagnostics=tree.diagnostics.diagnostics[len(reader_diagnostics) :],
    )


def write_part(folder: Path, spec: PartSpec) -> PartResult:
    """Write the segments and the index part of one part into ``folder``.

    Raises:
        SidecarError: An entry's bytes are not where the reader said (never expected).
    """
    data = spec.data
    bounds = frame_bounds(data, 0, len(data), spec.frame_size)
    frames: list[FrameInfo] = []
    rows: list[bytes] = []
    records = spec.records
    position = 0
    line = spec.base_line
    with SegmentWriter(
        folder,
        first_number=spec.first_segment,
        level=spec.level,
        segment_size=spec.segment_size,
        step_name=f"{spec.step_prefix}.segment_written",
    ) as writer:
        for (start, end), (segment, offset, size) in zip(
            bounds, writer.write_frames(data, bounds), strict=True
        ):
            first_row = position
            plain = True
            frame_number = spec.first_frame + len(frames)
            while position < len(records):
                rec = records[position]
                at = rec.offset - spec.base
                if at >= end:
                    break
                found, length = _locate(data, rec, at)
                stop = found + length
                plain = plain and found == at and (stop == len(data) or data[stop] == 0x0A)
                row = Row(
                    spec.parents[position],
                    frame_number,
                    found - start,
                    stop - found,
                    rec.line,
                    rec.offset,
                    zlib.crc32(data[found:stop]),
                )
                rows.append(pack_row(row))
                position += 1
            frames.append(
                FrameInfo(
                    segment,
                    offset,
                    size,
                    spec.base + start,
                    end - start,
                    line,
                    spec.first_entry + first_row,
                    position - first_row,
                    plain,
                )
            )
            line += data.count(b"\n", start, end)
            if spec.progress is not None:
                spec.progress(end)
        segments = writer.close()
    if position != len(records):
        raise SidecarError("entries lie outside the bytes being migrated")
    envelopes: bytes | None = None
    raw_length = 0
    if spec.facts.mode == DIRECT:
        if spec.envelopes is None:
            raise SidecarError("a directly opened sidecar needs the entry envelopes")
        envelopes, raw_length = spec.envelopes
    blob = encode_index_part(
        first_entry=spec.first_entry,
        first_frame=spec.first_frame,
        facts=spec.facts,
        frames=frames,
        header_raw=spec.header_raw,
        rows=b"".join(rows),
        envelopes=envelopes,
        envelopes_raw_length=raw_length,
    )
    name = index_name(spec.index_number)
    write_new_file(folder / name, blob)
    step(f"{spec.step_prefix}.index_written")
    index = IndexFile(
        name,
        len(blob),
        sha256_hex(blob),
        spec.first_entry,
        len(records),
        spec.first_frame,
        len(frames),
    )
    return PartResult(segments, index, frames)


def _locate(data: bytes, rec: Record, at: int) -> tuple[int, int]:
    """Where the record's own bytes start (at its line's start, or after NULs or a BOM) and
    their length."""
    own = rec.source if rec.source is not None else rec.raw
    if data.startswith(own, at):
        return at, len(own)
    end = data.find(b"\n", at)
    found = data.find(own, at, len(data) if end == -1 else end)
    if found == -1:
        raise SidecarError(f"line {rec.line}: entry bytes not found at offset {rec.offset}")
    return found, len(own)
