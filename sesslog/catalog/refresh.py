"""Keep a catalog current: per session, tell whether it is fresh for the file's fingerprint,
catch up from where it stopped, or rebuild it from the whole file.

A catalog remembers, per session, a :class:`Position`: the file's fingerprint when it last
looked (size, times, inode), how many bytes it has folded (up to the end of the last complete
line), a hash of the first bytes (the prefix, up to 1 KiB) and a hash of the last bytes
before that point. On the next look:

* the same fingerprint: nothing to do, nothing read;
* the file grew: the prefix and the bytes just before the old end are checked, and only the
  bytes appended since are read and folded (a line still being written is left for later);
* anything else (shorter, rewritten, replaced, touched at the same size, a legacy version, a
  failed check): the whole file is read again.

A file that grew is trusted to have kept its old bytes when its first KiB and the 64 bytes
before the old end are unchanged (an append-only log keeps them; a rewrite almost always
changes them); a file touched without growing is read whole, since only every byte can tell.

This is one projection of a session in the sense of the storage seam: fresh for a
fingerprint, catch up, rebuild.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Literal, Protocol

import msgspec

from sesslog.catalog.files import FileStat, SessionFiles, file_id
from sesslog.catalog.types import RefreshReport, SessionInfo

if TYPE_CHECKING:  # the fold's code is imported when something is folded
    from sesslog.catalog.facts import Fold, FoldState
    from sesslog.format.reader import SessionData

__all__ = [
    "BATCH_BYTES",
    "BATCH_SESSIONS",
    "HEAD_BYTES",
    "TAIL_BYTES",
    "FoldSink",
    "Position",
    "Step",
    "fold_changes",
    "fresh",
    "listing",
    "plan",
    "refresh",
]

#: Bytes of the prefix whose hash is kept.
HEAD_BYTES = 1024
#: Bytes before the folded end whose hash is kept.
TAIL_BYTES = 64
#: Sessions folded per write transaction.
BATCH_SESSIONS = 256
#: Bytes read per write transaction (a batch ends after the session that passes it).
BATCH_BYTES = 32 << 20

Step = Literal["fresh", "catch_up", "rebuild"]


class Position(msgspec.Struct, kw_only=True):
    """Where a catalog stands in one session file.

    Attributes:
        stat: The file's fingerprint when last looked at.
        offset: Bytes folded (the end of the last complete line).
        lines: Lines folded.
        head_len: Bytes of the prefix hashed (``min(offset, HEAD_BYTES)``).
        head: Hash of those bytes.
        tail: Hash of the ``TAIL_BYTES`` (or fewer) bytes before ``offset``.
        version: The file's format version (only version 3 files are caught up).
        header: The header line, to read appended lines exactly as a whole read would.
        error: Why the file could not be read, when it could not.
    """

    stat: FileStat
    offset: int = 0
    lines: int = 0
    head_len: int = 0
    head: bytes = b""
    tail: bytes = b""
    version: int = 0
    header: bytes = b""
    error: str | None = None


class FoldSink(Protocol):
    """Where a refresh keeps what it folds: a catalog's storage."""

    def fingerprints(self) -> Mapping[str, FileStat]:
        """The fingerprint of every session the catalog holds, as it last looked."""
        ...

    def writing(self) -> AbstractContextManager[Callable[[str], Position | None]]:
        """A write transaction, yielding a lookup of positions as they stand inside it."""
        ...

    def state(self, key: str) -> FoldState:
        """The fold state of a session the catalog holds."""
        ...

    def seen(self, key: str) -> Callable[[str], bool]:
        """Asks whether the session already holds an entry id (or response id)."""
        ...

    def put(self, key: str, position: Position, fold: Fold, *, whole: bool) -> None:
        """Store a fold: replacing what the session had (``whole``) or adding to it."""
        ...

    def drop(self, key: str) -> None:
        """Forget a session."""
        ...


def listing(files: SessionFiles, key: str, position: Position, state: FoldState) -> SessionInfo:
    """The listing facts a catalog keeps for a folded session (the id from the file name when
    the file could not be read)."""
    from sesslog.catalog.facts import summary_of

    info = summary_of(
        state, key=key, path=files.describe(key), size=position.stat.size, error=position.error
    )
    if position.error is not None and not info.id:
        info.id = file_id(key)
    return info


def _hash(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def fresh(known: FileStat | None, stat: FileStat) -> bool:
    """Whether a catalog that last saw ``known`` is fresh for a file with fingerprint ``stat``
    (a file that could not be read stays as it was until its fingerprint changes)."""
    return known is not None and known == stat


def plan(position: Position | None, stat: FileStat) -> Step:
    """What a session needs: nothing, a catch-up from its offset, or a rebuild."""
    from sesslog.format.entries import SESSION_VERSION

    if position is None:
        return "rebuild"
    if fresh(position.stat, stat):
        return "fresh"
    if (
        stat.problem is None
        and position.error is None
        and position.version == SESSION_VERSION
        and position.header
        and stat.ino == position.stat.ino
        and stat.size > position.offset
    ):
        return "catch_up"
    return "rebuild"


def refresh(
    files: SessionFiles, sink: FoldSink, keys: Collection[str] | None = None
) -> RefreshReport:
    """Bring ``sink`` up to date with ``files``, reading only what changed.

    The plan is made first without a transaction (nothing to write is the common case), then
    made again for each changed session inside the sink's write transaction, so that several
    processes refreshing at once never fold the same bytes twice. Changes are committed in
    batches (at most :data:`BATCH_SESSIONS` sessions or :data:`BATCH_BYTES` bytes read), so a
    long first build never holds other processes off for long.

    Args:
        files: The store's session files.
        sink: The catalog's storage.
        keys: Look at these sessions only (default: list the whole store).
    """
    known = sink.fingerprints()
    if keys is None:
        stats = files.scan()
        gone = sorted(known.keys() - {s.key for s in stats})
    else:
        found = [(key, files.stat(key)) for key in keys]
        stats = [stat for _, stat in found if stat is not None]
        gone = [key for key, stat in found if stat is None and key in known]
    return fold_changes(files, sink, stats, known, gone)


def fold_changes(
    files: SessionFiles,
    sink: FoldSink,
    stats: list[FileStat],
    known: Mapping[str, FileStat],
    gone: list[str],
) -> RefreshReport:
    """Fold the sessions of ``stats`` whose fingerprint differs from ``known`` and drop those
    ``gone``, in short write transactions (see :func:`refresh`).

    Args:
        files: The store's session files.
        sink: The catalog's storage.
        stats: The sessions looked at, as they are now.
        known: Their fingerprints as the catalog last saw them (missing: not held).
        gone: Sessions the catalog holds whose file is gone.
    """
    report = RefreshReport(checked=len(stats))
    get = known.get
    changed = [s for s in stats if get(s.key) != s]
    start = 0
    while start < len(changed) or gone:
        with sink.writing() as position_of:
            batch_start = report.bytes_read
            while start < len(changed):
                stat = changed[start]
                start += 1
                _apply(files, sink, stat, position_of(stat.key), report)
                if start % BATCH_SESSIONS == 0 or report.bytes_read - batch_start > BATCH_BYTES:
                    break
            if start >= len(changed):
                for key in gone:
                    if position_of(key) is not None:
                        sink.drop(key)
                        report.removed += 1
                gone = []
    return report


def _apply(
    files: SessionFiles,
    sink: FoldSink,
    stat: FileStat,
    position: Position | None,
    report: RefreshReport,
) -> None:
    step = plan(position, stat)
    if step == "fresh":
        return
    if (
        step == "catch_up"
        and position is not None
        and _catch_up(files, sink, stat, position, report)
    ):
        return
    if position is None:
        report.added += 1
    else:
        report.rebuilt += 1
    _rebuild(files, sink, stat, report)


def _rebuild(files: SessionFiles, sink: FoldSink, stat: FileStat, report: RefreshReport) -> None:
    from sesslog.catalog.facts import Fold, FoldState, SeenKeys
    from sesslog.format.reader import ReadMode, read_bytes

    fold = Fold(FoldState(), SeenKeys())
    if stat.problem is not None:
        sink.put(stat.key, Position(stat=stat, error=stat.problem), fold, whole=True)
        return
    try:
        data = files.read(stat.key)
    except OSError as exc:
        error = f"cannot read: {exc.strerror or exc}"
        sink.put(stat.key, Position(stat=stat, error=error), fold, whole=True)
        return
    report.bytes_read += len(data)
    read = read_bytes(data, ReadMode.TOLERANT, path=files.describe(stat.key))
    fold.header(read.header, read.file_version)
    fold.add_all(read.records)
    # The file may have grown between the listing and the read: the fingerprint kept is the
    # listing's, so the next look reads the rest again.
    offset = read.valid_size
    view = memoryview(data)
    head_len = min(offset, HEAD_BYTES)
    position = Position(
        stat=stat,
        offset=offset,
        lines=data.count(b"\n", 0, offset),
        head_len=head_len,
        head=_hash(view[:head_len]),
        tail=_hash(view[max(0, offset - TAIL_BYTES) : offset]),
        version=read.file_version if read.header is not None else 0,
        header=read.header_raw or b"",
    )
    sink.put(stat.key, position, fold, whole=True)


def _catch_up(
    files: SessionFiles,
    sink: FoldSink,
    stat: FileStat,
    position: Position,
    report: RefreshReport,
) -> bool:
    """Fold the bytes appended since ``position``; False when the file must be read whole."""
    from sesslog.catalog.facts import Fold, SeenKeys
    from sesslog.format.reader import ReadMode, read_bytes

    offset = position.offset
    tail_start = max(0, offset - TAIL_BYTES)
    try:
        if offset <= HEAD_BYTES + TAIL_BYTES:
            whole = files.read(stat.key)
            head = memoryview(whole)[: position.head_len]
            chunk = whole[tail_start:]
            prefix = whole[:HEAD_BYTES]
            report.bytes_read += len(whole)
        else:
            head = memoryview(files.read(stat.key, 0, position.head_len))
            chunk = files.read(stat.key, tail_start)
            prefix = b""
            report.bytes_read += len(head) + len(chunk)
    except OSError:
        return False
    if _hash(head) != position.head or _hash(chunk[: offset - tail_start]) != position.tail:
        return False
    region = chunk[offset - tail_start :]
    header_line = position.header + b"\n"
    read = read_bytes(header_line + region, ReadMode.TOLERANT, path=files.describe(stat.key))
    if read.header_raw != position.header:
        return False
    _shift(read, position, len(header_line))
    fold = Fold(sink.state(stat.key), SeenKeys(sink.seen(stat.key)))
    fold.add_all(read.records)
    consumed = read.valid_size - len(header_line)
    new_offset = offset + consumed
    last = chunk[max(0, new_offset - TAIL_BYTES - tail_start) : new_offset - tail_start]
    head_len = position.head_len
    new_head = position.head
    if head_len < HEAD_BYTES and prefix:
        head_len = min(new_offset, HEAD_BYTES)
        new_head = _hash(prefix[:head_len])
    updated = Position(
        stat=stat,
        offset=new_offset,
        lines=position.lines + region.count(b"\n", 0, consumed),
        head_len=head_len,
        head=new_head,
        tail=_hash(last),
        version=position.version,
        header=position.header,
    )
    sink.put(stat.key, updated, fold, whole=False)
    report.caught_up += 1
    return True


def _shift(read: SessionData, position: Position, header_len: int) -> None:
    """Give records read behind a borrowed header their lines and offsets in the file."""
    for rec in read.records:
        rec.line += position.lines - 1
        rec.offset += position.offset - header_len
