"""Ship a local session's V2 sidecar to the bucket beside its segments.

A sidecar (``docs/v2-format.md``) is a set of immutable files: ``manifest.json``, the segment
files of zstd frames and the index parts. In the bucket each file becomes the object
``<session>/~v2/<sha256>``, named by the SHA-256 of its bytes, so the same file always makes
the same object and a repeated or resumed upload finds it there (read back and checked before
it is trusted, as segments are). The session's manifest then references the sidecar's
``manifest.json`` and the session bytes it covers
(:class:`~sesslog.backends.objectstore.manifest.SidecarRef`), committed by the same
compare-and-swap and under the same fence as the segments: until that swap no reader sees the
new sidecar, and a push cut short leaves only objects that the next push reuses.

Which sidecar is shipped: the one beside the file, when it holds a prefix of the file as it is
(fresh, or the file grew since) that ends within the lines pushed. With the automatic build on
(``SESSLOG_AUTO_SIDECAR``, see :mod:`sesslog.write.auto_sidecar`), a session that has a
sidecar, or is at least the threshold's size, is first migrated or caught up (the same
:func:`~sesslog.v2.migrate_jsonl_to_v2` the background build runs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sesslog.backends.objectstore.log import ManifestVersion, SegmentLog, parallel
from sesslog.backends.objectstore.manifest import SidecarRef
from sesslog.backends.protocol import LogBackend
from sesslog.errors import SesslogError
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2.layout import MANIFEST_NAME, SidecarPaths
from sesslog.v2.migrate import migrate_jsonl_to_v2
from sesslog.v2.store import Sidecar
from sesslog.write.auto_sidecar import threshold

__all__ = ["LocalSidecar", "SidecarShipped", "local_sidecar", "ship_sidecar"]


@dataclass
class LocalSidecar:
    """A local sidecar ready to ship: its reference and its files' bytes by SHA-256."""

    ref: SidecarRef
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class SidecarShipped:
    """What shipping a sidecar did.

    Attributes:
        version: The session's manifest now stored (referencing the sidecar).
        sent: Bytes of the objects uploaded by this call.
        reused: Objects found in the bucket already (from an interrupted push).
    """

    version: ManifestVersion
    sent: int
    reused: int


def local_sidecar(
    local: LogBackend, key: str, end: int, held: SidecarRef | None = None
) -> LocalSidecar | str | None:
    """The sidecar of the local session ``key`` to ship with its first ``end`` bytes.

    Args:
        local: Where the session is.
        key: The session.
        end: The session bytes the bucket will hold.
        held: The sidecar the bucket holds already: when the local one is that one, its
            files are not read (the result holds its reference alone).

    Returns:
        The sidecar; ``None`` when the session has none (and none is due); or why the one it
        has cannot be shipped (busy, stale, covering an unfinished line).
    """
    path = local.local_path(key)
    if path is None:
        return None
    folder = sidecar_folder(path)
    limit = threshold()
    try:
        if limit is not None and (folder.exists() or local.stat(key).size >= limit):
            migrate_jsonl_to_v2(path)
        if not folder.exists():
            return None
        with SidecarPaths(path).lock_ledger():
            return _read_sidecar(path, folder, end, held)
    except (SesslogError, OSError) as error:
        return f"sidecar not shipped: {error}"


def _read_sidecar(
    path: Path, folder: Path, end: int, held: SidecarRef | None
) -> LocalSidecar | str:
    with Sidecar(folder) as sidecar:
        state = sidecar.freshness(path)
        if state.state not in ("fresh", "grew"):
            return f"sidecar not shipped: {state.reason or state.state}"
        manifest = sidecar.manifest
        if manifest.source.size > end:
            return "sidecar not shipped: it covers an unfinished last line"
        raw = (folder / MANIFEST_NAME).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        found = LocalSidecar(SidecarRef(digest, len(raw), manifest.source.size), {digest: raw})
        if found.ref == held:
            return found  # the bucket has it: nothing to read
        for item in manifest.payload_files():
            data = (folder / item.name).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if f"sha256:{digest}" != item.sha256 or len(data) != item.size:
                return f"sidecar not shipped: {item.name} disagrees with its manifest"
            found.files[digest] = data
        return found


def ship_sidecar(
    log: SegmentLog, sidecar: LocalSidecar, base: ManifestVersion, fence: int
) -> SidecarShipped:
    """Upload the sidecar's objects (the manifest last), then reference it in the session's
    manifest by a compare-and-swap from ``base`` under ``fence``.

    Raises:
        StaleFenceError: A writer with a higher fencing number has written the session.
        StaleManifestError: The manifest changed since ``base`` was read.
    """
    payload = [digest for digest in sidecar.files if digest != sidecar.ref.manifest]

    def upload(digest: str) -> bool:
        data = sidecar.files[digest]
        return log.put_immutable(
            log.sidecar_key(digest),
            data,
            lambda found: None if hashlib.sha256(found).hexdigest() == digest else "sha256",
        )

    fresh = parallel(upload, payload, log.concurrency)
    fresh.append(upload(sidecar.ref.manifest))
    sent = sum(
        len(sidecar.files[digest])
        for digest, new in zip([*payload, sidecar.ref.manifest], fresh, strict=True)
        if new
    )
    version = log.attach_sidecar(base, sidecar.ref, fence=fence)
    return SidecarShipped(version, sent, len(fresh) - sum(fresh))
