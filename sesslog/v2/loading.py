"""Build a session's records from its sidecar, loading no more than asked.

Two routes, both checked:

* From the index envelopes (:func:`records_from_envelopes`): one msgpack call decodes every
  entry's envelope into a :class:`~sesslog.format.records.Record`; the frames holding the wanted
  entries are decompressed and each record gets its line bytes by splitting its frame at
  newlines (no JSON is parsed). What is used is checked by the index sections' crc32 and the
  zstd checksums of the envelopes and of every frame. For many entries.
* From the lines (:func:`records_from_rows`): for each wanted row, its frame is decompressed
  once, the line's bytes are checked against the row's crc32 and parsed. For few entries.

A path is found by walking tree parents from the leaf: row by row (each row checked against its
crc32) for a short walk, or over the ``parents`` column for a whole path.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import gc
import zlib
from collections.abc import Iterator, Sequence

from sesslog.errors import SidecarCorruptError
from sesslog.format.records import Record, record_from_line
from sesslog.v2.index import PARENT_ROOT, Facts, FrameInfo, Row
from sesslog.v2.store import Sidecar

__all__ = [
    "all_envelopes",
    "gc_paused",
    "path_rows",
    "records_from_envelopes",
    "records_from_rows",
    "records_of_rows",
    "walk_rows",
]

#: Envelope bytes allowed per entry on top of the covered size (keys, line and offset).
ENVELOPE_SLACK = 256


def walk_rows(sidecar: Sidecar, facts: Facts, limit: int) -> list[tuple[int, Row]]:
    """The last ``limit`` rows of the path to the leaf, root side first, each row checked."""
    walk: list[tuple[int, Row]] = []
    number = facts.leaf
    while number != PARENT_ROOT and len(walk) < limit:
        if not 0 <= number < facts.entries or len(walk) >= facts.entries:
            raise SidecarCorruptError("the index's parent links do not lead to a root")
        row = sidecar.part_of_row(number).row(number)
        walk.append((number, row))
        number = row.parent
    walk.reverse()
    return walk


def path_rows(sidecar: Sidecar, facts: Facts) -> list[int]:
    """Every row of the path to the leaf, root side first, walked over the ``parents``
    column."""
    parents: array.array[int] = array.array("i")
    for number in range(len(sidecar.manifest.index)):
        parents.extend(sidecar.part(number, whole=False).parents())
    path: list[int] = []
    number = facts.leaf
    while number != PARENT_ROOT:
        if not 0 <= number < len(parents) or len(path) >= len(parents):
            raise SidecarCorruptError("the index's parent links do not lead to a root")
        path.append(number)
        number = parents[number]
    path.reverse()
    return path


def records_from_rows(sidecar: Sidecar, walk: Sequence[tuple[int, Row]]) -> list[Record]:
    """The records of the given rows, parsed from their lines.

    Raises:
        SidecarCorruptError: A line fails its crc32 or is not a JSON object.
    """
    # Rows of a path come in file order: one frame held at a time (a sidecar kept elsewhere
    # fetches a few ahead, see Sidecar.frame_contents).
    runs = [
        row.frame for i, (_, row) in enumerate(walk) if i == 0 or walk[i - 1][1].frame != row.frame
    ]
    contents = sidecar.frame_contents(runs)
    records = []
    frame, content = -1, b""
    for number, row in walk:
        if row.frame != frame:
            frame, content = next(contents)
        raw = content[row.start : row.start + row.length]
        if len(raw) != row.length or zlib.crc32(raw) != row.crc:
            raise SidecarCorruptError(f"row {number}: the entry's bytes fail their checksum")
        rec = record_from_line(raw)
        if rec is None:
            raise SidecarCorruptError(f"row {number}: the entry's bytes are not a JSON object")
        rec.line = row.line
        rec.offset = row.offset
        records.append(rec)
    return records


#: Rows at most this many are loaded line by line; more from the index envelopes.
FEW_ROWS = 2048


def records_of_rows(sidecar: Sidecar, numbers: Sequence[int]) -> list[Record]:
    """The records of rows ``numbers`` (in that order): line by line for a few
    (:data:`FEW_ROWS`), from the index envelopes for more.

    Raises:
        SidecarCorruptError: The index, a frame or a line is damaged.
    """
    if len(numbers) <= FEW_ROWS:
        return records_from_rows(sidecar, [(n, sidecar.part_of_row(n).row(n)) for n in numbers])
    return records_from_envelopes(sidecar, numbers)


def records_from_envelopes(sidecar: Sidecar, wanted: Sequence[int] | None = None) -> list[Record]:
    """The records of the given rows (default: every row), from the index envelopes.

    Raises:
        SidecarCorruptError: The index or a frame is damaged.
    """
    frames = sidecar.frames()
    every = all_envelopes(sidecar)
    records = every if wanted is None else [every[n] for n in wanted]
    groups = _group_by_frame(frames, wanted)
    contents = sidecar.frame_contents(number for number, _ in groups)
    for (number, rows), (_, content) in zip(groups, contents, strict=True):
        _fill(sidecar, frames[number], rows, content, every)
    return records


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are made that hold no cycles
    (records and the tree over them); it resumes, with nothing lost, afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def all_envelopes(sidecar: Sidecar, *, whole: bool = False) -> list[Record]:
    """Every entry's envelope record (no line bytes yet), from all index parts.

    Args:
        sidecar: The open sidecar.
        whole: Check each index part's hash first (see :meth:`Sidecar.part`).

    Raises:
        SidecarCorruptError: An index part lacks envelopes or the count disagrees.
    """
    manifest = sidecar.manifest
    limit = manifest.source.size + ENVELOPE_SLACK * (manifest.entries + 1)
    records: list[Record] = []
    for number in range(len(manifest.index)):
        found = sidecar.part(number, whole=whole).envelopes(limit)
        if found is None:
            raise SidecarCorruptError("the index holds no entry envelopes")
        records.extend(found)
    if len(records) != manifest.entries:
        raise SidecarCorruptError("the index parts disagree with the manifest's entry count")
    return records


def _group_by_frame(
    frames: list[FrameInfo], wanted: Sequence[int] | None
) -> list[tuple[int, Sequence[int]]]:
    """``(frame number, rows)`` for every frame holding wanted rows, in file order."""
    if wanted is None:
        return [
            (n, range(f.first_row, f.first_row + f.rows)) for n, f in enumerate(frames) if f.rows
        ]
    starts = [f.first_row for f in frames]
    groups: dict[int, list[int]] = {}
    for row in sorted(wanted):
        groups.setdefault(bisect.bisect_right(starts, row) - 1, []).append(row)
    return sorted(groups.items())


def _fill(
    sidecar: Sidecar, frame: FrameInfo, rows: Sequence[int], content: bytes, every: list[Record]
) -> None:
    """Give the records of ``rows`` (all in ``frame``) their line bytes."""
    if frame.plain:
        lines = content.split(b"\n")
        base = frame.first_line
        first = every[rows[0]].line - base
        last = every[rows[-1]].line - base
        if first < 0 or last >= len(lines):  # rows are in file order: the rest lie between
            raise SidecarCorruptError("an entry's line lies outside its frame")
        if isinstance(rows, range) and last - first == len(rows) - 1:
            # consecutive lines, the usual case: pair them up without index arithmetic
            for rec, raw in zip(
                every[rows.start : rows.stop], lines[first : last + 1], strict=True
            ):
                rec.raw = raw
            return
        for number in rows:
            rec = every[number]
            rec.raw = lines[rec.line - base]
        return
    part = sidecar.part_of_row(frame.first_row)
    for number in rows:
        row = part.row(number)
        every[number].raw = content[row.start : row.start + row.length]
