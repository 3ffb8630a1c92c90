"""The object-storage backend: the storage seam's :class:`~sesslog.backends.protocol.LogBackend`
over sessions kept in an S3-compatible bucket.

Each log is a :class:`~sesslog.backends.objectstore.log.SegmentLog` under its key (immutable
segments plus a manifest swapped by compare-and-swap), so every promise of the seam maps onto
the bucket:

* **born complete**: :meth:`ObjectStoreBackend.create` uploads the segments first and then
  creates the manifest with ``If-None-Match: *``; until that succeeds the log does not exist,
  and an existing manifest is never replaced.
* **one writer**: the writer lease comes from a
  :class:`~sesslog.backends.objectstore.leasing.LeaseKeeper` (this process's, or PostgreSQL's
  across machines with :mod:`sesslog.fleet.leases`); its fence is recorded in the manifest when
  the writer opens, so a writer whose lease was taken over is refused by the bucket.
* **sync**: see :mod:`sesslog.backends.objectstore.writer`: a commit is stored on the server
  when it returns.
* **clean end**: a log created with an unfinished last line keeps it (the manifest's ``torn``)
  until a writer opens: a complete record gets its newline, anything else is saved aside as
  ``<key>/~tail.torn-at-<offset>`` and the log is cut back to its last whole line.

Reads are ranged GETs of the segments (and 256 KiB blocks) that hold the bytes asked for.
Trashed logs are copied server-side to ``.trash/<deleted-at-ms>-<random>/<key>``.
"""

from __future__ import annotations

import builtins
import contextlib
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from sesslog.backends.objectstore.bucket import Bucket, PreconditionFailed
from sesslog.backends.objectstore.errors import StaleManifestError
from sesslog.backends.objectstore.leasing import HeldLease, LeaseKeeper, ProcessLeases
from sesslog.backends.objectstore.log import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_SEGMENT_SIZE,
    ManifestVersion,
    ReadResult,
    SegmentLog,
    parallel,
)
from sesslog.backends.objectstore.manifest import encode_manifest
from sesslog.backends.objectstore.writer import ObjectStoreWriter
from sesslog.backends.protocol import (
    Fingerprint,
    FolderInfo,
    LeaseHolder,
    LogInfo,
    TailRepair,
    in_pi_layout,
    key_parts,
    logs_in_folder,
)
from sesslog.backends.tail import TailAction, check_cut, side_name, tail_action
from sesslog.errors import SessionLockedError

__all__ = ["TRASH_PREFIX", "ObjectStoreBackend"]

#: The key prefix of trashed logs.
TRASH_PREFIX = ".trash"
_MANIFEST = "/~manifest"
_POLL = 0.05


class ObjectStoreBackend:
    """Session logs in a bucket (see the module documentation).

    Args:
        bucket: The bucket (and key prefix) holding the sessions.
        leases: Who grants writer leases (default: this process's :class:`ProcessLeases`).
        segment_size: Target bytes per segment.
        block_size: Bytes per checksummed block of new sessions.
        concurrency: Segments uploaded or fetched at once per session.
    """

    kind = "s3"
    trash_folder = TRASH_PREFIX

    def __init__(
        self,
        bucket: Bucket,
        *,
        leases: LeaseKeeper | None = None,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        block_size: int = DEFAULT_BLOCK_SIZE,
        concurrency: int = 8,
    ) -> None:
        self.bucket = bucket
        self.leases: LeaseKeeper = leases or ProcessLeases()
        self._concurrency = concurrency
        self._options = {
            "segment_size": segment_size,
            "block_size": block_size,
            "concurrency": concurrency,
        }

    @classmethod
    def open(
        cls, url: str, *, leases: LeaseKeeper | None = None, **options: Any
    ) -> ObjectStoreBackend:
        """The backend of ``s3://bucket[/prefix]``, configured by ``AWS_*`` variables.

        Args:
            url: The bucket and optional prefix.
            leases: Who grants writer leases.
            options: Passed to :meth:`Bucket.open` (``endpoint``, credentials, retries).

        Raises:
            ValueError: ``url`` is not an ``s3://`` URL with a bucket.
        """
        return cls(Bucket.open(url, **options), leases=leases)

    def __repr__(self) -> str:
        return f"ObjectStoreBackend({self.bucket.where()!r})"

    def log(self, key: str) -> SegmentLog:
        """The segments and manifest of ``key``.

        Raises:
            ValueError: ``key`` is not a valid key.
        """
        key_parts(key)
        return SegmentLog(self.bucket, key, **self._options)

    def describe(self, key: str) -> str:
        """``s3://bucket/prefix/<key>``."""
        return self.bucket.where(key)

    def local_path(self, key: str) -> Path | None:
        """``None``: no log here is a file on this machine."""
        return None

    def _stored(self, key: str) -> tuple[SegmentLog, ManifestVersion]:
        log = self.log(key)
        version = log.load()
        if version.etag is None:
            raise FileNotFoundError(f"{self.describe(key)}: no such log")
        return log, version

    # ------------------------------------------------------------------ writing

    def _acquire(self, key: str, wait: float | None = None) -> HeldLease:
        deadline = time.monotonic() + (wait or 0.0)
        while True:
            try:
                return self.leases.acquire(key)
            except SessionLockedError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(_POLL)

    def create(self, key: str, content: bytes) -> ObjectStoreWriter:
        """Create the log holding ``content`` (segments first, then the manifest, created only
        if absent) and return its writer."""
        log = self.log(key)
        held = self._acquire(key)
        try:
            base = log.load()
            fence = held.fence if held.fence is not None else base.manifest.fence
            if base.etag is not None:
                raise FileExistsError(f"{self.describe(key)}: log already exists")
            try:
                version = log.append(content, base=base, fence=fence, unfinished=True).version
            except StaleManifestError:
                raise FileExistsError(f"{self.describe(key)}: log already exists") from None
            return ObjectStoreWriter(log, version, held, fence=fence, name=self.describe(key))
        except BaseException:
            held.release()
            raise

    def open_writer(self, key: str, *, wait: float | None = None) -> ObjectStoreWriter:
        """Take the lease (waiting up to ``wait`` seconds), record its fence in the manifest,
        repair a torn tail, and return the writer."""
        log = self.log(key)
        held = self._acquire(key, wait)
        try:
            _, version = self._stored(key)
            if held.fence is None:
                fence = version.manifest.fence
            else:
                fence = held.fence
                version = log.claim(version, fence)
            version, repair = self._repair(log, version, fence)
            return ObjectStoreWriter(
                log, version, held, fence=fence, name=self.describe(key), repair=repair
            )
        except BaseException:
            held.release()
            raise

    def _repair(
        self, log: SegmentLog, version: ManifestVersion, fence: int
    ) -> tuple[ManifestVersion, TailRepair | None]:
        manifest = version.manifest
        if manifest.torn == 0:
            return version, None
        start = manifest.size - manifest.torn
        tail = log.read(start, version=version).data
        action = tail_action(tail)
        if action is TailAction.NEWLINE:
            done = log.append(b"\n", base=version, fence=fence)
            return done.version, TailRepair(manifest.size, 0, None, True)
        if action is TailAction.NONE:  # pragma: no cover - torn counts bytes after a newline
            return version, None
        check_cut(self.describe(log.session), start)
        side = side_name(f"{log.session}/~tail", start, tail, self._held_bytes)
        with contextlib.suppress(PreconditionFailed):  # saved by a repair interrupted earlier
            self.bucket.put_new(side, tail)
        version = log.cut_back(version, start, fence=fence)
        return version, TailRepair(start, len(tail), side, False)

    def _held_bytes(self, key: str) -> bytes | None:
        try:
            return self.bucket.get(key)[0]
        except FileNotFoundError:
            return None

    # ------------------------------------------------------------------ reading

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes ``offset .. offset + length`` (to the end by default), by ranged GETs.

        Raises:
            FileNotFoundError: No such log.
            SegmentCorruptError: A segment holding those bytes is damaged or missing.
        """
        return self.read_checked(key, offset, length).data

    def read_checked(
        self, key: str, offset: int = 0, length: int | None = None, *, skip_damaged: bool = False
    ) -> ReadResult:
        """Like :meth:`read`, with the pieces and, with ``skip_damaged``, the damaged segments
        reported instead of raised (the whole segments still read).

        Raises:
            FileNotFoundError: No such log.
        """
        log, version = self._stored(key)
        size = version.manifest.size
        start = min(max(offset, 0), size)
        end = size if length is None else min(size, start + max(length, 0))
        return log.read(start, end, version=version, skip_damaged=skip_damaged)

    def stat(self, key: str) -> LogInfo:
        """The log's size and the time of its last commit."""
        _, version = self._stored(key)
        return _info(key, version)

    def fingerprint(self, key: str) -> Fingerprint:
        """Size, the digest of its segments' names, and generation plus ETag as the version."""
        _, version = self._stored(key)
        manifest = version.manifest
        return Fingerprint(
            manifest.size,
            manifest.prefix_digest(manifest.size) or "",
            f"{manifest.generation}:{version.etag}",
        )

    def prefix_matches(self, key: str, fingerprint: Fingerprint) -> bool:
        """Whether the segments tiling the first ``fingerprint.size`` bytes are still those."""
        try:
            _, version = self._stored(key)
        except FileNotFoundError:
            return False
        digest = version.manifest.prefix_digest(fingerprint.size)
        return digest is not None and digest == fingerprint.prefix

    def list(self, *, trash: bool = False) -> list[LogInfo]:
        """Every log (or trashed log), sorted by key: one listing plus one GET per manifest."""
        keys = [
            info.key[: -len(_MANIFEST)]
            for info in self.bucket.list(f"{TRASH_PREFIX}/" if trash else "")
            if info.key.endswith(_MANIFEST)
        ]
        if not trash:  # pi's layout: the root and its folders, hidden names left out
            keys = [key for key in keys if in_pi_layout(key)]
        found: list[LogInfo] = []
        lock = threading.Lock()

        def look(key: str) -> None:
            version = self.log(key).load()
            if version.etag is not None:
                with lock:
                    found.append(_info(key, version))

        parallel(look, keys, self._concurrency)
        return sorted(found, key=lambda info: info.key)

    def folders(self) -> builtins.list[FolderInfo] | None:
        """``None``: a bucket keeps no folder stamps (a caller lists every log)."""
        return None

    def list_folder(self, name: str) -> builtins.list[LogInfo]:
        """The logs directly in folder ``name`` (``""``: the root)."""
        return logs_in_folder(self.list(), name)

    def active_writer(self, key: str) -> LeaseHolder | None:
        """The lease's holder, as the lease keeper reports it."""
        key_parts(key)
        return self.leases.holder(key)

    # ------------------------------------------------------------------ trash

    def trash(self, key: str, *, deleted_ms: int | None = None) -> str:
        """Copy the log to ``.trash/<deleted-at-ms>/<key>`` (the first millisecond from
        ``deleted_ms``, default now, not holding that key), then remove it (under the lease)."""
        when = time.time_ns() // 1_000_000 if deleted_ms is None else deleted_ms
        held = self._acquire(key)
        try:
            _, version = self._stored(key)
            while self.log(f"{TRASH_PREFIX}/{when}/{key}").load().etag is not None:
                when += 1  # that bucket holds this key already: never over it
            trash_key = f"{TRASH_PREFIX}/{when}/{key}"
            self._move(key, trash_key, version)
            return trash_key
        finally:
            held.release()

    def restore(self, trash_key: str) -> str:
        """Copy a trashed log back to its key (never over another log), then remove it."""
        parts = key_parts(trash_key)
        if len(parts) < 3 or parts[0] != TRASH_PREFIX:
            raise FileNotFoundError(f"{self.describe(trash_key)}: no such trashed log")
        key = "/".join(parts[2:])
        _, version = self._stored(trash_key)
        held = self._acquire(key)
        try:
            if self.log(key).load().etag is not None:
                raise FileExistsError(f"{self.describe(key)}: log already exists")
            self._move(trash_key, key, version)
            return key
        finally:
            held.release()

    def delete(self, key: str) -> None:
        """Remove the log's manifest (it then no longer exists), then its other objects."""
        if key.startswith(f"{TRASH_PREFIX}/"):
            self._stored(key)
            self._remove(key)
            return
        held = self._acquire(key)
        try:
            self._stored(key)
            self._remove(key)
        finally:
            held.release()

    def _move(self, source: str, target: str, version: ManifestVersion) -> None:
        """Copy ``source``'s objects under ``target``, create its manifest there, remove
        ``source``. Interrupted, both may be left: the target's manifest is created last of
        the copies, so it never lists a segment not yet copied."""
        moved = [name for name in self._objects(source) if name != source + _MANIFEST]
        parallel(
            lambda name: self.bucket.copy(name, target + name[len(source) :]),
            moved,
            self._concurrency,
        )
        manifest = msgspec.structs.replace(version.manifest, session=target)
        try:
            self.bucket.put_new(target + _MANIFEST, encode_manifest(manifest))
        except PreconditionFailed:
            raise FileExistsError(f"{self.describe(target)}: log already exists") from None
        self._remove(source)

    def _remove(self, key: str) -> None:
        self.bucket.delete(key + _MANIFEST)
        parallel(self.bucket.delete, self._objects(key), self._concurrency)

    def _objects(self, key: str) -> builtins.list[str]:
        """The keys of the log's objects (``<key>/~...``; a listing prefix is a whole path)."""
        return [info.key for info in self.bucket.list(f"{key}/") if info.key.startswith(f"{key}/~")]


def _info(key: str, version: ManifestVersion) -> LogInfo:
    manifest = version.manifest
    try:
        when = datetime.fromisoformat(manifest.updated_at)
        mtime_ns = int(when.timestamp() * 1_000_000_000)
    except ValueError:
        mtime_ns = 0
    return LogInfo(key, manifest.size, mtime_ns)
