"""Load a session from its sidecar: the whole session, the active path, or its tail.

* ``full``: every entry. Records are built from the index envelopes in one msgpack call and
  given their line bytes from the frames; nothing is parsed as JSON. The result is the same
  session as reading the file (same records, tree, diagnostics, context).
* ``active_path``: the index rows are walked from the leaf to the root, and only the frames
  holding those entries are decompressed.
* ``tail(n)``: the same walk stopped after ``n`` entries: the last ``n`` entries of the path.

A partial load (``active_path``, ``tail``) gives a
:class:`~sesslog.projections.partial.PartialTree` holding the loaded entries only (a chain; its
first entry counts as a root), with the labels, the name and the diagnostics of the whole
session (kept in the index). Every loaded line is checked against its crc32 and every parent
link against the line's ``parentId``.

Sessions that must be re-read (legacy versions, values the index cannot hold, or ``salvage``
mode) are rebuilt from the frames and read as a file, then cut to the path or its tail for a
partial load (as slow as a whole load, but the same shape).

Nothing here builds a :class:`~sesslog.Session`: the facade wraps what is loaded
(:class:`~sesslog.projections.protocol.Loaded`).
"""

from __future__ import annotations

from pathlib import Path

from sesslog.backends.locks import writer_active
from sesslog.backends.protocol import LogBackend
from sesslog.errors import SidecarCorruptError, SidecarError
from sesslog.format.codec import decode_object
from sesslog.format.diagnostics import Diagnostic, Reason, SessionOpenDiagnostics
from sesslog.format.reader import ReadMode, SessionData, read_bytes
from sesslog.format.records import Record
from sesslog.projections.freshness import compare
from sesslog.projections.partial import PartialTree
from sesslog.projections.protocol import FULL, Loaded, OpenScope, SessionStoreKind
from sesslog.projections.sidecar import sidecar_folder
from sesslog.tree.index import SessionTree
from sesslog.v2.index import DIRECT, Facts
from sesslog.v2.loading import (
    gc_paused,
    path_rows,
    records_from_envelopes,
    records_from_rows,
    records_of_rows,
    walk_rows,
)
from sesslog.v2.store import Sidecar

__all__ = ["load_fresh", "load_held", "load_sidecar"]

_SOURCE = SessionStoreKind.V2_SIDECAR.value


def load_fresh(
    backend: LogBackend, key: str, scope: OpenScope = FULL, mode: ReadMode = ReadMode.TOLERANT
) -> Loaded:
    """Load a session from its sidecar, which must be fresh.

    Raises:
        SidecarError: No sidecar, or it does not hold the file as it is now.
        SidecarCorruptError: The sidecar is damaged.
        FormatError: In strict mode, for the first anomaly of the session.
    """
    path = backend.local_path(key)
    if path is None:
        raise SidecarError(f"{backend.describe(key)}: only local files have a V2 sidecar")
    try:
        sidecar = Sidecar(sidecar_folder(path))
    except FileNotFoundError:
        raise SidecarError(f"{path}: no V2 sidecar") from None
    with sidecar:
        freshness = compare(backend, key, sidecar.manifest.source.fingerprint())
        if freshness.reason is not None:
            raise SidecarError(f"{path}: sidecar not used: {freshness.reason}")
        return load_sidecar(sidecar, path, scope, mode)


def load_sidecar(
    sidecar: Sidecar, path: Path, scope: OpenScope = FULL, mode: ReadMode = ReadMode.TOLERANT
) -> Loaded:
    """Load the session a sidecar holds without checking it against the file (for callers
    that did, or that compared the bytes themselves, such as verification).

    Raises:
        SidecarError: A writer is finishing the file's last line (read the file instead).
        SidecarCorruptError: The sidecar is damaged.
    """
    if _torn_tail_being_written(sidecar.facts(), path):
        raise SidecarError(f"{path}: a writer is finishing the last line")
    return load_held(sidecar, str(path), scope, mode)


def load_held(
    sidecar: Sidecar, name: str, scope: OpenScope = FULL, mode: ReadMode = ReadMode.TOLERANT
) -> Loaded:
    """Load the session a sidecar holds, named ``name`` in diagnostics, as it is (no check
    against a file, nor for a writer finishing a line: for sidecars of logs kept elsewhere).

    Raises:
        SidecarCorruptError: The sidecar is damaged.
    """
    with gc_paused():
        return _load(sidecar, name, scope, mode)


def _load(sidecar: Sidecar, path: str, scope: OpenScope, mode: ReadMode) -> Loaded:
    facts = sidecar.facts()
    if facts.mode != DIRECT or mode is ReadMode.SALVAGE:
        return _reread(sidecar, path, scope, mode)
    if scope.kind == "full":
        records = records_from_envelopes(sidecar)
        return Loaded(_session_data(sidecar, facts, path, records), _SOURCE)
    if scope.kind == "tail":
        walk = walk_rows(sidecar, facts, scope.count)
        records = records_from_rows(sidecar, walk)
    else:
        records = records_of_rows(sidecar, path_rows(sidecar, facts))
    _check_chain(records, facts)
    data = _session_data(sidecar, facts, path, records, with_tree=True)
    tree = PartialTree(
        records, data.diagnostics, labels=facts.labels, name=facts.name, total=facts.entries
    )
    return Loaded(data, _SOURCE, tree)


def _reread(sidecar: Sidecar, path: str, scope: OpenScope, mode: ReadMode) -> Loaded:
    """Read the bytes rebuilt from the frames as a session file (then cut a partial load)."""
    data = read_bytes(sidecar.rebuild(), mode, path=path)
    if scope.kind == "full":
        return Loaded(data, _SOURCE)
    whole = SessionTree(data.records, data.diagnostics)
    records = whole.path()
    if scope.kind == "tail":
        records = records[-scope.count :]
    tree = PartialTree(
        records, whole.diagnostics, labels=whole.labels, name=whole.name, total=len(whole)
    )
    return Loaded(data, _SOURCE, tree)


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
    sidecar: Sidecar, facts: Facts, path: str, records: list[Record], *, with_tree: bool = False
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
        SessionOpenDiagnostics(path=path, diagnostics=found, read_only=facts.read_only),
        facts.valid_size,
        facts.size,
    )
