"""Push: ship what local sessions gained since their last push to a bucket.

The remote manifest is the only record of what was pushed: a session's manifest says how many
of its bytes the bucket holds, so a push sends exactly the local bytes past that size, and
nothing is kept on the pushing machine. That makes every push resumable and idempotent:

* an interrupted push committed each chunk it finished (a manifest swap per chunk of about
  :data:`CHUNK_BYTES`), so the next push starts after the last committed chunk;
* segments uploaded by the interrupted chunk are found again under the same names (they are
  named by offset and content, and the local bytes cut the same way), checked and reused, not
  sent again;
* pushing twice sends nothing the second time.

Only whole lines are pushed: the bytes after a local file's last newline (a line its writer is
still writing, or a torn tail) wait for their newline and are reported as ``held_back``.

Before sending, the local bytes under the remote's last segment are hashed and compared with
that segment's SHA-256 (and their length with the remote size): a local file that was rewritten
or replaced since the last push, or a session someone else wrote to the bucket, is reported as
``diverged`` and left alone on both sides.

Each session is pushed under its writer lease (the remote backend's
:class:`~sesslog.backends.objectstore.leasing.LeaseKeeper`; PostgreSQL's across machines), whose
fence the push's first manifest swap records: a session being written by a remote writer is
``locked`` (naming its host and pid), and a push whose lease was taken over is refused by the
bucket. A push of new lines costs a GET of the manifest, a PUT per new segment and a PUT of the
manifest per chunk.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.backends.objectstore.errors import (
    BucketAccessError,
    BucketNotFoundError,
    ObjectStoreError,
    ObjectStoreUnavailableError,
)
from sesslog.backends.objectstore.log import ManifestVersion, SegmentLog, parallel
from sesslog.backends.protocol import LogBackend
from sesslog.catalog.protocol import Catalog
from sesslog.errors import SessionLockedError
from sesslog.fleet.sidecar_push import LocalSidecar, local_sidecar, ship_sidecar

__all__ = ["CHUNK_BYTES", "PushReport", "SessionPush", "push", "whole_end"]

CHUNK_BYTES = 64 * 1024 * 1024
"""Local bytes committed per manifest swap: what an interrupted push can have to redo."""

_TAIL_SCAN = 64 * 1024

Progress = Callable[[str, int, int], None]
"""Called with a phase name, bytes done and bytes to do."""


@dataclass
class SessionPush:
    """What a push did to one session.

    Attributes:
        key: The session's key (its path under the sessions root).
        status: ``pushed``, ``current`` (nothing new), ``diverged``, ``locked`` or ``failed``.
        remote_before: Bytes the bucket held before.
        remote_after: Bytes it holds now.
        sent: Bytes uploaded (segments found already uploaded are not counted).
        reused: Segments found in the bucket from an interrupted push.
        held_back: Local bytes after the last newline, not pushed.
        detail: Why the session was not pushed (for ``diverged``, ``locked``, ``failed``).
        sidecar: What became of its V2 sidecar: ``sent``, ``current`` (the bucket has it),
            ``None`` (it has none), or why it was not shipped.
        sidecar_sent: Bytes of sidecar objects uploaded.
    """

    key: str
    status: str = "current"
    remote_before: int = 0
    remote_after: int = 0
    sent: int = 0
    reused: int = 0
    held_back: int = 0
    detail: str | None = None
    sidecar: str | None = None
    sidecar_sent: int = 0


@dataclass
class PushReport:
    """What a push did.

    Attributes:
        sessions: One entry per session looked at, sorted by key.
        seconds: Time taken.
        catalog: Sessions the catalog folded in (``None`` without a catalog).
    """

    sessions: list[SessionPush] = field(default_factory=list)
    seconds: float = 0.0
    catalog: int | None = None

    @property
    def sent(self) -> int:
        """Bytes uploaded in all."""
        return sum(item.sent for item in self.sessions)

    def count(self, status: str) -> int:
        """Sessions with this status."""
        return sum(item.status == status for item in self.sessions)

    @property
    def ok(self) -> bool:
        """Every session is pushed or was current."""
        return all(item.status in ("pushed", "current") for item in self.sessions)


def whole_end(local: LogBackend, key: str, size: int) -> int:
    """Where the last whole line of the first ``size`` bytes of a log ends (0: none)."""
    at = size
    while at > 0:
        start = max(0, at - _TAIL_SCAN)
        found = local.read(key, start, at - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        at = start
    return 0


def _diverged(local: LogBackend, key: str, version: ManifestVersion, end: int) -> str | None:
    """Why the local log no longer extends what the bucket holds, or ``None``."""
    manifest = version.manifest
    if manifest.torn:
        return f"the bucket's copy ends with an unfinished line of {manifest.torn} bytes"
    if manifest.size > end:
        return f"the bucket holds {manifest.size} bytes, the local file {end} whole-line bytes"
    if manifest.segments:
        last = manifest.segments[-1]
        if hashlib.sha256(local.read(key, last.offset, last.size)).hexdigest() != last.sha256:
            return f"local bytes {last.offset}..{last.end} differ from the bucket's"
    return None


def _send(
    local: LogBackend,
    log: SegmentLog,
    item: SessionPush,
    version: ManifestVersion,
    end: int,
    fence: int,
    advance: Callable[[int], None],
) -> ManifestVersion:
    at = version.manifest.size
    while at < end:
        data = local.read(log.session, at, min(CHUNK_BYTES, end - at))
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # one line longer than a chunk: read to its end
            cut = whole_end(local, log.session, end) - at
            data = local.read(log.session, at, cut)
        done = log.append(data[:cut], base=version, fence=fence)
        version = done.version
        item.sent += done.written_bytes
        item.reused += done.reused
        item.remote_after = version.manifest.size
        at += cut
        advance(cut)
    return version


def _push_one(
    local: LogBackend,
    remote: ObjectStoreBackend,
    key: str,
    advance: Callable[[int], None],
) -> SessionPush:
    item = SessionPush(key)
    size = local.stat(key).size
    end = whole_end(local, key, size)
    item.held_back = size - end
    log = remote.log(key)
    version = log.load()
    item.remote_before = item.remote_after = version.manifest.size
    why = _diverged(local, key, version, end)
    if why is not None:
        item.status, item.detail = "diverged", why
        return item
    sidecar = local_sidecar(local, key, end, version.manifest.sidecar)
    if isinstance(sidecar, str):
        item.sidecar, sidecar = sidecar, None
    elif sidecar is not None and _has_sidecar(version, sidecar):
        item.sidecar, sidecar = "current", None
    if version.manifest.size == end and sidecar is None:
        return item
    try:
        held = remote.leases.acquire(key)
    except SessionLockedError as error:
        item.status, item.detail = "locked", str(error)
        return item
    try:
        held.check()
        version = log.load()  # again, under the lease
        why = _diverged(local, key, version, end)
        if why is not None:
            item.status, item.detail = "diverged", why
            return item
        # The first append records the lease's fence in the manifest (no separate claim: a
        # stale holder writing in between makes that append fail as stale, and nothing is lost).
        fence = version.manifest.fence if held.fence is None else held.fence
        version = _send(local, log, item, version, end, fence, advance)
        if sidecar is not None and not _has_sidecar(version, sidecar):
            shipped = ship_sidecar(log, sidecar, version, fence)
            item.sidecar, item.sidecar_sent = "sent", shipped.sent
            item.reused += shipped.reused
        item.status = "pushed"
    finally:
        held.release()
    return item


def push(
    local: LogBackend,
    remote: ObjectStoreBackend,
    *,
    keys: Collection[str] | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
    sessions_at_once: int = 8,
) -> PushReport:
    """Push the whole lines local sessions gained since their last push.

    Args:
        local: Where the sessions are (a :class:`~sesslog.backends.local.LocalFolder`).
        remote: The bucket they go to.
        keys: Push only these sessions (default: every ``.jsonl`` log of ``local``).
        catalog: Folded in afterwards for the sessions that changed (its ``refresh(keys)``).
        progress: Told the bytes done so far (sent, or found in the bucket already, or not
            pushable) and the bytes of every session looked at.
        sessions_at_once: Sessions pushed in parallel.

    Returns:
        The report; a session that could not be pushed says why and the others go on.

    Raises:
        BucketNotFoundError: The bucket does not exist (nothing was written).
        BucketAccessError: The credentials are refused (nothing was written).
        ObjectStoreUnavailableError: The server cannot be reached.
    """
    started = time.monotonic()
    remote.bucket.check()
    wanted = (
        sorted(keys)
        if keys is not None
        else [info.key for info in local.list() if info.key.endswith(".jsonl")]
    )
    sizes = {key: local.stat(key).size for key in wanted}
    total = sum(sizes.values())
    done = [0]
    lock = threading.Lock()

    def advance(count: int) -> None:
        with lock:
            done[0] += count
            if progress is not None:
                progress("push", done[0], total)

    def one(key: str) -> SessionPush:
        counted = [0]

        def sent(count: int) -> None:
            counted[0] += count
            advance(count)

        try:
            item = _push_one(local, remote, key, sent)
        except (ObjectStoreError, OSError, ValueError) as error:
            if _whole_store_failure(error):
                raise
            item = SessionPush(key, "failed", detail=str(error))
        advance(max(0, sizes.get(key, 0) - counted[0]))  # what was there, or is not pushed
        return item

    report = PushReport(parallel(one, wanted, sessions_at_once))
    changed = [item.key for item in report.sessions if item.status == "pushed"]
    if catalog is not None and changed:
        catalog.refresh(changed)
        report.catalog = len(changed)
    report.seconds = time.monotonic() - started
    return report


def _has_sidecar(version: ManifestVersion, sidecar: LocalSidecar) -> bool:
    held = version.manifest.sidecar
    return held is not None and held.manifest == sidecar.ref.manifest


def _whole_store_failure(error: BaseException) -> bool:
    """Errors that stop the whole push rather than one session."""
    return isinstance(error, (BucketAccessError, BucketNotFoundError, ObjectStoreUnavailableError))
