"""Open a session kept in a bucket through its V2 sidecar, or from its log when that fails.

:func:`open_remote` gives the same :class:`~sesslog.Session` as opening the local file: the
active path or its tail is loaded through the sidecar pushed with the session
(:mod:`sesslog.fleet.remote_sidecar`), fetching the manifests, a few blocks of the index and
the frames holding the entries loaded. When the log grew past what the sidecar covers, the new
bytes (only those) are read from the segments and joined on as a catch-up does
(:mod:`sesslog.v2.catchup`): the old entries' envelopes come from the index, the new lines are
read exactly as the file reader reads them, and the tree is built over both.

Otherwise the log is read whole, and :attr:`RemoteOpen.fallback` says why in one line: no
sidecar in the bucket, one that cannot be caught up (new lines the reader reports something
about, a new entry that re-attaches an older one, a re-read legacy session, an unfinished last
line), or a damaged one (a checksum or size that disagrees, a missing object). A whole session
(``full`` scope) is always read from the log: the sidecar would fetch as much.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.backends.objectstore.log import ManifestVersion
from sesslog.errors import SidecarError
from sesslog.fleet.remote_sidecar import RemoteSidecar
from sesslog.format.codec import decode_object
from sesslog.format.diagnostics import SessionOpenDiagnostics
from sesslog.format.reader import ReadMode, SessionData
from sesslog.opening import read_log
from sesslog.projections.partial import PartialTree
from sesslog.projections.protocol import Loaded, OpenScope, SessionStoreKind
from sesslog.session import Session
from sesslog.tree.index import SessionTree
from sesslog.v2.catchup import read_region, reattaches
from sesslog.v2.index import DIRECT
from sesslog.v2.loading import all_envelopes, records_of_rows
from sesslog.v2.opening import load_held

__all__ = ["RemoteOpen", "SidecarUse", "open_remote"]


@dataclass
class SidecarUse:
    """How a session was read through its sidecar in the bucket.

    Attributes:
        fallback: Why the sidecar was not used and the log was read instead (``None``: it
            was used, or a whole session was asked for).
        fetched: Bytes of the sidecar fetched (the manifest, index blocks, frames) plus the
            log bytes read past it.
        requests: GET requests made for those bytes.
    """

    fallback: str | None = None
    fetched: int = 0
    requests: int = 0


@dataclass(kw_only=True)
class RemoteOpen(SidecarUse):
    """A session opened from a bucket, and how (see :class:`SidecarUse`).

    Attributes:
        session: The session (read-only; partial when loaded through the sidecar).
    """

    session: Session


def open_remote(
    remote: ObjectStoreBackend,
    key: str,
    scope: OpenScope,
    mode: ReadMode = ReadMode.TOLERANT,
) -> RemoteOpen:
    """Open session ``key`` of ``remote`` in ``scope``, through its sidecar when it serves.

    Raises:
        FileNotFoundError: No such session in the bucket.
        SegmentCorruptError: The log must be read and a segment it needs is damaged.
    """
    log = remote.log(key)
    version = log.load()
    if version.etag is None:
        raise FileNotFoundError(f"{remote.describe(key)}: no such log")
    tally = SidecarUse()
    loaded = None
    if scope.kind != "full" and mode is not ReadMode.STRICT:
        loaded = _through_sidecar(remote, key, version, scope, mode, tally)
    fallback = None
    if loaded is None:
        if tally.fallback is not None:
            fallback = f"{remote.describe(key)}: V2 sidecar not used ({tally.fallback}); "
            fallback += "reading the log"
        loaded = read_log(remote, key, mode)
    session = Session.from_data(
        loaded.data,
        backend=remote,
        key=key,
        mode=mode,
        read_only=f"opened from {remote.describe(key)}",
        store_kind=loaded.source,
        tree=loaded.partial,
    )
    return RemoteOpen(
        session=session, fallback=fallback, fetched=tally.fetched, requests=tally.requests
    )


def _through_sidecar(
    remote: ObjectStoreBackend,
    key: str,
    version: ManifestVersion,
    scope: OpenScope,
    mode: ReadMode,
    result: SidecarUse,
) -> Loaded | None:
    manifest = version.manifest
    ref = manifest.sidecar
    if ref is None:
        result.fallback = "the bucket holds none for this session"
        return None
    log = remote.log(key)
    name = remote.describe(key)
    try:
        sidecar = RemoteSidecar.fetch(log, ref.manifest, ref.manifest_size)
    except FileNotFoundError:
        result.fallback = "damaged: its manifest object is missing"
        return None
    except SidecarError as error:
        result.fallback = f"damaged: {error}"
        return None
    try:
        with sidecar:
            if sidecar.manifest.source.size != ref.size:
                result.fallback = "damaged: it covers another size than the manifest says"
                return None
            end = manifest.size - manifest.torn
            if ref.size == end and not manifest.torn:
                return load_held(sidecar, name, scope, mode)
            if manifest.torn:
                result.fallback = "the log ends in an unfinished line"
                return None
            region = log.read(ref.size, end, version=version).data
            result.fetched += len(region)
            result.requests += len(manifest.overlapping(ref.size, end))
            caught = _caught_up(sidecar, name, region, scope)
            if isinstance(caught, str):
                result.fallback = f"cannot catch up: {caught}"
                return None
            return caught
    except (SidecarError, ValueError, IndexError, KeyError, struct.error) as error:
        # Checks catch damage as SidecarCorruptError; values no check covers (a damaged part
        # read past its end) fail as they may: the log is read either way.
        result.fallback = f"damaged: {error}"
        return None
    finally:
        result.fetched += sidecar.fetched
        result.requests += sidecar.requests


def _caught_up(sidecar: RemoteSidecar, name: str, region: bytes, scope: OpenScope) -> Loaded | str:
    """The path (or its tail) of the session the sidecar holds plus the whole lines
    ``region`` that follow, or why that cannot be told without reading the log."""
    facts = sidecar.facts()
    if facts.mode != DIRECT:
        return "the session is re-read from its bytes (a legacy version)"
    if not facts.clean_end:
        return "the bytes it holds end in an unfinished line"
    header_raw = sidecar.part(0, whole=False).header_raw()
    if header_raw is None:
        return "the session has no header"
    new = read_region(name, header_raw, region, sidecar.manifest.source.size, facts)
    if isinstance(new, str):
        return new
    old = all_envelopes(sidecar)
    if reattaches(sidecar, old, new):
        return "a new entry changes how an older one attaches to the tree"
    diagnostics = SessionOpenDiagnostics(
        path=name, diagnostics=list(facts.reader_diagnostics), read_only=facts.read_only
    )
    tree = SessionTree(old + new, diagnostics)
    path = tree.path()
    if scope.kind == "tail":
        path = path[-scope.count :]
    rows = {id(rec): number for number, rec in enumerate(old)}
    wanted = [rows[id(rec)] for rec in path if id(rec) in rows]
    records = records_of_rows(sidecar, wanted)
    records += [rec for rec in path if id(rec) not in rows]
    size = sidecar.manifest.source.size + len(region)
    header = decode_object(header_raw)
    data = SessionData(
        header if isinstance(header, dict) else None,
        header_raw,
        facts.file_version,
        records,
        diagnostics,
        size,
        size,
    )
    partial = PartialTree(
        records, diagnostics, labels=tree.labels, name=tree.name, total=len(old) + len(new)
    )
    return Loaded(data, SessionStoreKind.V2_SIDECAR.value, partial)
