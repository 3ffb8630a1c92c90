"""Open a session from its sidecar: the whole session, the active path, or its tail.

* ``full``: every entry. Records are built from the index envelopes in one msgpack call and
  given their line bytes from the frames; nothing is parsed as JSON. The result is the same
  :class:`~sesslog.Session` as opening the file (same records, tree, diagnostics, context).
* ``active_path``: the index rows are walked from the leaf to the root, and only the frames
  holding those entries are decompressed.
* ``tail(n)``: the same walk stopped after ``n`` entries: the last ``n`` entries of the path.

A partial open (``active_path``, ``tail``) gives a read-only session whose tree holds the loaded
entries only (a chain; its first entry counts as a root), while the labels, the name and the
diagnostics are those of the whole session (kept in the index). Every loaded line is checked
against its crc32 and every parent link against the line's ``parentId``.

Sessions that must be re-read (legacy versions, values the index cannot hold, or ``salvage``
mode) are rebuilt from the frames and read as a file, then cut to the path or its tail for a
partial open (as slow as a whole open, but the same shape).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import msgspec

from sesslog.backends.locks import writer_active
from sesslog.errors import SidecarCorruptError, SidecarError
from sesslog.format.codec import decode_object
from sesslog.format.diagnostics import Diagnostic, Reason, SessionOpenDiagnostics
from sesslog.format.reader import ReadMode, SessionData, read_bytes
from sesslog.format.records import Record
from sesslog.format.timestamps import now_ms
from sesslog.session import Session, SessionStoreKind, sidecar_folder
from sesslog.tree.index import SessionTree
from sesslog.v2.index import DIRECT, Facts
from sesslog.v2.loading import (
    gc_paused,
    path_rows,
    records_from_envelopes,
    records_from_rows,
    walk_rows,
)
from sesslog.v2.store import Sidecar
from sesslog.write.modes import AutosaveDurabilityMode, Durability

__all__ = [
    "PartialTree",
    "V2OpenMode",
    "open_fresh_sidecar",
    "open_session",
    "open_sidecar",
    "session_from_sidecar",
]

#: A path at most this long is loaded line by line; a longer one from the index envelopes.
_FEW_ROWS = 2048


class V2OpenMode(msgspec.Struct, frozen=True):
    """How much of a session to load from its sidecar.

    Build one with :meth:`full`, :meth:`active_path` or :meth:`tail`, or :meth:`parse` a
    string (``"full"``, ``"active_path"``, ``"tail:100"``).

    Attributes:
        kind: ``full``, ``active_path`` or ``tail``.
        count: For ``tail``, how many entries of the path to load.
    """

    kind: Literal["full", "active_path", "tail"] = "full"
    count: int = 0

    @classmethod
    def full(cls) -> V2OpenMode:
        """Every entry."""
        return cls("full")

    @classmethod
    def active_path(cls) -> V2OpenMode:
        """The entries from the root to the leaf."""
        return cls("active_path")

    @classmethod
    def tail(cls, count: int) -> V2OpenMode:
        """The last ``count`` entries of the path to the leaf."""
        if count < 1:
            raise ValueError("tail needs a count of at least 1")
        return cls("tail", count)

    @classmethod
    def parse(cls, text: str) -> V2OpenMode:
        """Parse ``full``, ``active_path`` or ``tail:N``.

        Raises:
            ValueError: Not one of those.
        """
        if text in ("full", "active_path"):
            return cls(text)  # type: ignore[arg-type]
        kind, _, count = text.partition(":")
        if kind == "tail" and count.isdigit():
            return cls.tail(int(count))
        raise ValueError(f"unknown open mode {text!r} (full, active_path or tail:N)")

    def __str__(self) -> str:
        return f"tail:{self.count}" if self.kind == "tail" else self.kind


#: The default mode.
FULL = V2OpenMode.full()


class PartialTree(SessionTree):
    """The tree of a partial open: the loaded path, with the whole session's labels and name.

    Args:
        records: The loaded entries, root side first.
        diagnostics: The whole session's diagnostics.
        labels: The whole session's labels.
        name: The whole session's name.
        total: Number of entries in the whole session.
    """

    def __init__(
        self,
        records: Iterable[Record],
        diagnostics: SessionOpenDiagnostics,
        *,
        labels: dict[str, str],
        name: str | None,
        total: int,
    ) -> None:
        super().__init__(records)  # the first entry's missing parent is no diagnostic here
        self.diagnostics = diagnostics
        self._labels = dict(labels)
        self._name = name
        #: Number of entries in the whole session (``len()`` counts the loaded ones).
        self.total_entries = total

    @property
    def labels(self) -> dict[str, str]:
        """Labels by entry id, for every entry of the session (loaded or not)."""
        return dict(self._labels)


class _Options(msgspec.Struct, frozen=True):
    mode: ReadMode
    read_only: bool
    lock_wait: float | None
    clock: Callable[[], int]
    durability: Durability

    def session(self, data: SessionData, path: Path, tree: SessionTree | None = None) -> Session:
        reason: bool | str = self.read_only
        if tree is not None:
            reason = "opened partially from the V2 sidecar; open it in full to append"
        session = Session.from_data(
            data,
            path=path,
            mode=self.mode,
            read_only=reason,
            lock_wait=self.lock_wait,
            clock=self.clock,
            durability=self.durability,
            store_kind=SessionStoreKind.V2_SIDECAR,
            tree=tree,
        )
        session.handle.read_size = data.size  # an append refuses a file grown since
        return session


def open_sidecar(
    path: str | Path,
    open_mode: V2OpenMode = FULL,
    *,
    mode: ReadMode | str = ReadMode.TOLERANT,
    read_only: bool = False,
    lock_wait: float | None = None,
    clock: Callable[[], int] = now_ms,
    durability: Durability = AutosaveDurabilityMode.BALANCED,
) -> Session:
    """Open a session from its sidecar, which must be fresh.

    Raises:
        SidecarError: No sidecar, or it does not hold the file as it is now.
        SidecarCorruptError: The sidecar is damaged.
        FormatError: In strict mode, for the first anomaly of the session.
    """
    session_path = Path(path)
    options = _Options(ReadMode(mode), read_only, lock_wait, clock, durability)
    try:
        sidecar = Sidecar(sidecar_folder(session_path))
    except FileNotFoundError:
        raise SidecarError(f"{session_path}: no V2 sidecar") from None
    with sidecar:
        freshness = sidecar.freshness(session_path)
        if freshness.reason is not None:
            raise SidecarError(f"{session_path}: sidecar not used: {freshness.reason}")
        return _open(sidecar, session_path, open_mode, options)


def open_session(
    path: str | Path,
    open_mode: V2OpenMode = FULL,
    *,
    mode: ReadMode | str = ReadMode.TOLERANT,
    read_only: bool = False,
    lock_wait: float | None = None,
    clock: Callable[[], int] = now_ms,
    durability: Durability = AutosaveDurabilityMode.BALANCED,
) -> Session:
    """Open a session from its sidecar when it is fresh and sound, else from the file.

    The session's :attr:`~sesslog.Session.store_kind` says which store was read. Partial
    modes apply to the sidecar only: a session read from the file is always whole.

    Raises:
        SessionNotFoundError: The session file does not exist.
        FormatError: In strict mode, for the first anomaly of the session.
    """
    opened = open_fresh_sidecar(
        Path(path),
        open_mode,
        mode=ReadMode(mode),
        read_only=read_only,
        lock_wait=lock_wait,
        clock=clock,
        durability=durability,
    )
    if opened is not None:
        return opened
    return Session.open(
        path,
        mode=mode,
        read_only=read_only,
        lock_wait=lock_wait,
        clock=clock,
        durability=durability,
        sidecar=False,
    )


def open_fresh_sidecar(
    path: Path,
    open_mode: V2OpenMode = FULL,
    *,
    mode: ReadMode,
    read_only: bool,
    lock_wait: float | None,
    clock: Callable[[], int],
    durability: Durability,
) -> Session | None:
    """The session from its sidecar, or ``None`` when the sidecar is missing, stale or
    damaged (used by :meth:`~sesslog.Session.open`; strict-mode format errors propagate)."""
    try:
        return open_sidecar(
            path,
            open_mode,
            mode=mode,
            read_only=read_only,
            lock_wait=lock_wait,
            clock=clock,
            durability=durability,
        )
    except (SidecarError, OSError):
        return None


def session_from_sidecar(
    sidecar: Sidecar, path: Path, open_mode: V2OpenMode = FULL, *, read_only: bool = True
) -> Session:
    """Build the session a sidecar holds without checking it against the file (for callers
    that compared the bytes themselves, such as verification)."""
    options = _Options(ReadMode.TOLERANT, read_only, None, now_ms, AutosaveDurabilityMode.BALANCED)
    return _open(sidecar, path, open_mode, options)


def _open(sidecar: Sidecar, path: Path, open_mode: V2OpenMode, options: _Options) -> Session:
    with gc_paused():
        return _load(sidecar, path, open_mode, options)


def _load(sidecar: Sidecar, path: Path, open_mode: V2OpenMode, options: _Options) -> Session:
    facts = sidecar.facts()
    if _torn_tail_being_written(facts, path):
        raise SidecarError(f"{path}: a writer is finishing the last line")
    if facts.mode != DIRECT or options.mode is ReadMode.SALVAGE:
        return _reread(sidecar, path, open_mode, options)
    if open_mode.kind == "full":
        records = records_from_envelopes(sidecar)
        return options.session(_session_data(sidecar, facts, path, records), path)
    if open_mode.kind == "tail":
        walk = walk_rows(sidecar, facts, open_mode.count)
        records = records_from_rows(sidecar, walk)
    else:
        path_numbers = path_rows(sidecar, facts)
        if len(path_numbers) <= _FEW_ROWS:
            records = records_from_rows(
                sidecar, [(n, sidecar.part_of_row(n).row(n)) for n in path_numbers]
            )
        else:
            records = records_from_envelopes(sidecar, path_numbers)
    _check_chain(records, facts)
    data = _session_data(sidecar, facts, path, records, with_tree=True)
    tree = PartialTree(
        records, data.diagnostics, labels=facts.labels, name=facts.name, total=facts.entries
    )
    return options.session(data, path, tree)


def _reread(sidecar: Sidecar, path: Path, open_mode: V2OpenMode, options: _Options) -> Session:
    """Read the bytes rebuilt from the frames as a session file (then cut a partial open)."""
    data = read_bytes(sidecar.rebuild(), options.mode, path=str(path))
    if open_mode.kind == "full":
        return options.session(data, path)
    whole = SessionTree(data.records, data.diagnostics)
    records = whole.path()
    if open_mode.kind == "tail":
        records = records[-open_mode.count :]
    tree = PartialTree(
        records, whole.diagnostics, labels=whole.labels, name=whole.name, total=len(whole)
    )
    return options.session(data, path, tree)


def _check_chain(records: list[Record], facts: Facts) -> None:
    """Each loaded entry must name the one before it as parent, and the last be the leaf."""
    for child, parent in zip(records[1:], records, strict=False):
        if child.parent_id != parent.id:
            raise SidecarCorruptError(f"line {child.line}: parent link disagrees with the index")
    if records and records[-1].id != facts.leaf_id:
        raise SidecarCorruptError("the index's leaf row does not hold the leaf")


def _torn_tail_being_written(facts: Facts, path: Path) -> bool:
    """The file ends in an unfinished line that a writer holding the lock is finishing (the
    file reader reports it as in progress, not torn; the file is read then)."""
    return any(d.reason == Reason.TORN_TAIL for d in facts.reader_diagnostics) and writer_active(
        path
    )


def _session_data(
    sidecar: Sidecar, facts: Facts, path: Path, records: list[Record], *, with_tree: bool = False
) -> SessionData:
    """The read result the sidecar stands for; its diagnostics are the reader's (a full tree
    adds its own), or the whole session's for a partial tree."""
    header_raw = sidecar.part(0, whole=False).header_raw()
    header = decode_object(header_raw) if header_raw is not None else None
    found: list[Diagnostic] = list(facts.reader_diagnostics)
    if with_tree:
        found.extend(facts.tree_diagnostics)
    return SessionData(
        header if isinstance(header, dict) else None,
        header_raw,
        facts.file_version,
        records,
        SessionOpenDiagnostics(path=str(path), diagnostics=found, read_only=facts.read_only),
        facts.valid_size,
        facts.size,
    )
