"""One session's bytes in a bucket: immutable segments plus a manifest.

Objects of session ``S`` (under the bucket's prefix; ``S`` is the storage seam's key, such as
``--home-me-app--/<time>_<id>.jsonl``)::

    S/~manifest                    the manifest (compare-and-swap)
    S/~segments/<offset>-<sha256>  the segments, immutable, content-addressed

No part of a session key starts with ``~``, so no session's objects fall under another's.

Writing (:meth:`SegmentLog.append`): cut the new bytes into segments at line ends, create each
with put-if-absent (an object already there under the same name is read back and checked
against the name's SHA-256: a retried or resumed upload writes nothing twice, a damaged leftover
is replaced), then swap the manifest from the version the writer read to the new one. A writer
whose manifest is stale is refused (:class:`StaleManifestError`) and so is one with an older
fencing number (:class:`StaleFenceError`); segments it uploaded are listed by nothing and show
up in :meth:`SegmentLog.orphans`.

Reading (:meth:`SegmentLog.read`): any byte range of the session, fetched with ranged GETs of
only the segments (and blocks) that hold it, in parallel; whole segments are checked against
their SHA-256 and partial ones against their block CRCs. A damaged or missing segment raises
:class:`SegmentCorruptError`, or with ``skip_damaged=True`` is reported and left out: segments
hold whole lines, so the bytes of the whole ones still read as a session with a gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from sesslog.backends.objectstore.bucket import Bucket, ObjectInfo, PreconditionFailed
from sesslog.backends.objectstore.errors import (
    ManifestCorruptError,
    SegmentCorruptError,
    StaleFenceError,
    StaleManifestError,
)
from sesslog.backends.objectstore.manifest import (
    Manifest,
    SidecarRef,
    decode_manifest,
    encode_manifest,
)
from sesslog.backends.objectstore.segments import (
    SegmentRef,
    block_span,
    check_blocks,
    check_whole,
    cut_lines,
    seal,
)

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_SEGMENT_SIZE",
    "AppendResult",
    "ManifestVersion",
    "ReadResult",
    "SegmentLog",
    "parallel",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

DEFAULT_SEGMENT_SIZE = 8 * 1024 * 1024
"""Target bytes per segment (see docs/scale.md for the choice)."""

DEFAULT_BLOCK_SIZE = 256 * 1024
"""Bytes per CRC-32 block: the granularity of a checked ranged read."""

_KEY_PART = re.compile(r"[^\x00-\x1f\x7f/\\~][^\x00-\x1f\x7f/\\]{0,254}")
_MAX_KEY_PARTS = 16


def _valid_session_key(key: str) -> bool:
    parts = key.split("/")
    return len(parts) <= _MAX_KEY_PARTS and all(
        _KEY_PART.fullmatch(part) and part not in (".", "..") for part in parts
    )


@dataclass(frozen=True)
class ManifestVersion:
    """A manifest as read, with what a compare-and-swap needs.

    Attributes:
        manifest: The manifest (an empty one, generation 0, when none is stored).
        etag: The stored object's ETag, or ``None`` when none is stored.
        raw: The stored bytes (``b""`` when none is stored).
    """

    manifest: Manifest
    etag: str | None
    raw: bytes = b""


@dataclass(frozen=True)
class AppendResult:
    """What an append did.

    Attributes:
        version: The manifest now stored.
        written: Segments uploaded by this call.
        reused: Segments already in the bucket with the same name (a resumed upload).
        written_bytes: Bytes of the segments uploaded by this call.
    """

    version: ManifestVersion
    written: int
    reused: int
    written_bytes: int = 0


@dataclass
class ReadResult:
    """Bytes of a session read from the bucket.

    Attributes:
        start: Offset of the first byte asked for.
        end: Offset past the last byte asked for.
        chunks: ``(offset, bytes)`` pieces in order; with damage skipped there are gaps.
        damage: The segments that could not be read (only with ``skip_damaged``).
    """

    start: int
    end: int
    chunks: list[tuple[int, bytes]] = field(default_factory=list)
    damage: list[SegmentCorruptError] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        """The pieces joined (gaps left out)."""
        return b"".join(piece for _, piece in self.chunks)

    @property
    def complete(self) -> bool:
        """Every byte asked for was read and checked."""
        return not self.damage


def parallel(work: Callable[[_T], _R], items: list[_T], concurrency: int) -> list[_R]:
    """``work`` over ``items``, results in order, up to ``concurrency`` at once (inline for
    one item)."""
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(min(concurrency, len(items))) as pool:
        return list(pool.map(work, items))


class SegmentLog:
    """The segments and manifest of one session in a bucket.

    Args:
        bucket: Where the session lives.
        session: The session's key: up to 16 ``/``-separated parts of 1 to 255 characters,
            none ``.`` or ``..``, starting with ``~``, or holding a control character or ``\\``.
        segment_size: Target bytes per new segment.
        block_size: Bytes per CRC-32 block of new sessions (existing ones keep theirs).
        concurrency: Segments uploaded or fetched at once.

    Raises:
        ValueError: ``session`` is not a valid key.
    """

    def __init__(
        self,
        bucket: Bucket,
        session: str,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        block_size: int = DEFAULT_BLOCK_SIZE,
        concurrency: int = 8,
    ) -> None:
        if not _valid_session_key(session):
            raise ValueError(f"{session!r}: not a valid session key for a bucket")
        if segment_size <= 0 or block_size <= 0 or concurrency <= 0:
            raise ValueError("segment_size, block_size and concurrency must be positive")
        self.bucket = bucket
        self.session = session
        self.segment_size = segment_size
        self.block_size = block_size
        self.concurrency = concurrency

    @property
    def manifest_key(self) -> str:
        """The manifest's key."""
        return f"{self.session}/~manifest"

    def segment_key(self, ref: SegmentRef) -> str:
        """The key of one segment."""
        return f"{self.session}/~segments/{ref.name}"

    def _map(self, work: Callable[[_T], _R], items: list[_T]) -> list[_R]:
        return parallel(work, items, self.concurrency)

    # ------------------------------------------------------------------ manifest

    def load(self) -> ManifestVersion:
        """The stored manifest (an empty generation 0 when the session has none yet).

        Raises:
            ManifestCorruptError: The stored manifest is not sound.
        """
        try:
            raw, etag = self.bucket.get(self.manifest_key)
        except FileNotFoundError:
            return ManifestVersion(Manifest.empty(self.session, self.block_size), None)
        try:
            manifest = decode_manifest(raw)
        except ValueError as error:
            raise ManifestCorruptError(self.bucket.where(self.manifest_key), str(error)) from None
        if manifest.session != self.session:
            raise ManifestCorruptError(
                self.bucket.where(self.manifest_key), f"names session {manifest.session!r}"
            )
        return ManifestVersion(manifest, etag, raw)

    def _swap(self, base: ManifestVersion, new: Manifest, fence: int) -> ManifestVersion:
        raw = encode_manifest(new)
        try:
            if base.etag is None:
                etag = self.bucket.put_new(self.manifest_key, raw)
            else:
                etag = self.bucket.put_replacing(self.manifest_key, raw, base.etag)
        except PreconditionFailed:
            current = self.load()
            if current.raw == raw:  # our own write, whose answer was lost and retried
                return current
            if current.manifest.fence > fence:
                raise StaleFenceError(self.session, fence, current.manifest.fence) from None
            raise StaleManifestError(
                self.session, base.manifest.generation, current.manifest.generation
            ) from None
        return ManifestVersion(new, etag, raw)

    # ------------------------------------------------------------------ writing

    def sidecar_key(self, sha256: str) -> str:
        """The key of the V2 sidecar file whose bytes have this SHA-256 (hex)."""
        return f"{self.session}/~v2/{sha256}"

    def _upload(self, ref: SegmentRef, data: bytes) -> bool:
        """Create one segment; ``False`` when it was already there, whole."""
        return self.put_immutable(
            self.segment_key(ref), data, lambda found: check_whole(ref, found)
        )

    def put_immutable(self, key: str, data: bytes, problem: Callable[[bytes], str | None]) -> bool:
        """Create the content-addressed object ``key``; ``False`` when it was already there,
        whole.

        An object found under its name (a resumed or repeated upload) is read back and checked
        (``problem`` says what is wrong with it, or ``None``) before it is trusted; a damaged
        leftover is replaced.
        """
        try:
            self.bucket.put_new(key, data)
            return True
        except PreconditionFailed:
            pass
        try:
            found, etag = self.bucket.get(key)
        except FileNotFoundError:  # deleted in between
            self.bucket.put_new(key, data)
            return True
        if problem(found) is None:
            return False
        if etag is None:
            raise PreconditionFailed(f"{self.bucket.where(key)}: damaged and without an ETag")
        self.bucket.put_replacing(key, data, etag)
        return True

    def _fenced(self, base: ManifestVersion, fence: int) -> Manifest:
        """``base``'s manifest, once ``fence`` is found not older than the one it records.

        Raises:
            StaleFenceError: A writer with a higher fencing number has written the session.
        """
        if base.manifest.fence > fence:
            raise StaleFenceError(self.session, fence, base.manifest.fence)
        return base.manifest

    def append(
        self, data: bytes, *, base: ManifestVersion, fence: int = 0, unfinished: bool = False
    ) -> AppendResult:
        """Add whole lines after the session's end, as new segments, and commit the manifest.

        Args:
            data: The new bytes, whole ``\\n``-ended lines.
            base: The manifest version this write follows (from :meth:`load` or a previous
                append): the write is refused if the stored one is no longer it.
            fence: The writer lease's fencing number (``0`` when leases are not used).
            unfinished: Accept bytes that do not end with a newline (a log created with a torn
                tail, or a newline completing one): the bytes after the last newline become a
                segment of their own, counted by the manifest's ``torn``.

        Raises:
            ValueError: ``data`` is empty or (without ``unfinished``) does not end with a
                newline.
            StaleFenceError: A writer with a higher fencing number has written the session.
            StaleManifestError: The manifest changed since ``base`` was read.
        """
        current = self._fenced(base, fence)
        cut = data.rfind(b"\n") + 1
        if not unfinished or cut == len(data):
            runs = cut_lines(data, self.segment_size)
        else:
            runs = [*(cut_lines(data[:cut], self.segment_size) if cut else []), data[cut:]]
        torn = len(data) - cut if cut else current.torn + len(data)
        refs: list[SegmentRef] = []
        offset = current.size
        for run in runs:
            refs.append(seal(offset, run, current.block_size))
            offset += len(run)
        fresh = self._map(lambda pair: self._upload(*pair), list(zip(refs, runs, strict=True)))
        version = self._swap(base, current.appended(refs, fence, torn=torn), fence)
        written = sum(fresh)
        sent = sum(ref.size for ref, new in zip(refs, fresh, strict=True) if new)
        return AppendResult(version, written, len(refs) - written, sent)

    def claim(self, base: ManifestVersion, fence: int) -> ManifestVersion:
        """Record ``fence`` in the manifest without adding bytes, so that every writer holding
        an older fence is refused from now on (a new lease holder does this first).

        Raises:
            StaleFenceError: A higher fence has written the session already.
            StaleManifestError: The manifest changed since ``base`` was read.
        """
        current = self._fenced(base, fence)
        if current.fence == fence and base.etag is not None:
            return base
        return self._swap(base, current.appended([], fence, torn=current.torn), fence)

    def attach_sidecar(
        self, base: ManifestVersion, sidecar: SidecarRef, *, fence: int = 0
    ) -> ManifestVersion:
        """Reference the V2 sidecar ``sidecar`` (its objects uploaded already) in the manifest.

        Raises:
            ValueError: The sidecar covers more than the session holds.
            StaleFenceError: A writer with a higher fencing number has written the session.
            StaleManifestError: The manifest changed since ``base`` was read.
        """
        current = self._fenced(base, fence)
        if not 0 < sidecar.size <= current.size - current.torn:
            raise ValueError(
                f"{self.session}: a sidecar of {sidecar.size} bytes for {current.size} held"
            )
        return self._swap(base, current.with_sidecar(sidecar, fence), fence)

    def cut_back(self, base: ManifestVersion, size: int, *, fence: int = 0) -> ManifestVersion:
        """End the session at ``size`` (just after a newline): the segments past it leave the
        manifest, and the one it falls inside is replaced by a new segment of its first bytes.
        Nothing stored is changed in place: the dropped segments become orphans.

        Raises:
            ValueError: ``size`` lies outside the session.
            SegmentCorruptError: The segment to shorten cannot be read whole.
            StaleFenceError: A writer with a higher fencing number has written the session.
            StaleManifestError: The manifest changed since ``base`` was read.
        """
        current = self._fenced(base, fence)
        if not 0 <= size <= current.size:
            raise ValueError(f"{self.session}: cannot cut back to {size} of {current.size}")
        kept = [ref for ref in current.segments if ref.end <= size]
        at = kept[-1].end if kept else 0
        if at < size:
            inside = current.overlapping(at, size)[0]
            head = self._fetch(inside, 0, size - inside.offset, current.block_size)
            ref = seal(inside.offset, head, current.block_size)
            self._upload(ref, head)
            kept.append(ref)
        return self._swap(base, current.rewritten(kept, fence), fence)

    # ------------------------------------------------------------------ reading

    def _fetch(self, ref: SegmentRef, start: int, end: int, block_size: int) -> bytes:
        """The segment's bytes ``start .. end``, checked (raises :class:`SegmentCorruptError`)."""
        key = self.segment_key(ref)
        try:
            if start == 0 and end == ref.size:
                data, _ = self.bucket.get(key)
                problem = check_whole(ref, data)
            else:
                first, last = span = block_span(ref, start, end, block_size)
                data = self.bucket.get_range(key, first, last)
                problem = check_blocks(ref, span, data, block_size)
                data = data[start - first : end - first]
        except FileNotFoundError:
            problem = "missing: no such object"
        if problem is not None:
            reason = problem.partition(":")[0]
            detail = problem.partition(": ")[2]
            raise SegmentCorruptError(
                self.bucket.where(key), ref.offset + start, end - start, reason, detail
            )
        return data

    def read(
        self,
        start: int = 0,
        end: int | None = None,
        *,
        version: ManifestVersion | None = None,
        skip_damaged: bool = False,
    ) -> ReadResult:
        """The session's bytes ``start .. end`` (to its end by default).

        Args:
            start: First byte wanted (``0``: the whole session; a tail read starts later).
            end: Byte past the last one wanted; ``None`` for the session's end.
            version: The manifest to read through (loaded when ``None``).
            skip_damaged: Report damaged or missing segments in ``damage`` and leave them out,
                instead of raising.

        Raises:
            ValueError: ``start`` or ``end`` lies outside the session.
            SegmentCorruptError: A segment is damaged or missing (unless ``skip_damaged``).
        """
        manifest = (version or self.load()).manifest
        stop = manifest.size if end is None else end
        if not 0 <= start <= stop <= manifest.size:
            raise ValueError(f"{self.session}: range {start}..{stop} outside 0..{manifest.size}")
        plan = [
            (ref, max(start, ref.offset) - ref.offset, min(stop, ref.end) - ref.offset)
            for ref in manifest.overlapping(start, stop)
        ]
        result = ReadResult(start, stop)
        if not plan:
            return result

        def fetch(item: tuple[SegmentRef, int, int]) -> bytes | SegmentCorruptError:
            ref, lo, hi = item
            try:
                return self._fetch(ref, lo, hi, manifest.block_size)
            except SegmentCorruptError as error:
                return error

        for (ref, lo, _), got in zip(plan, self._map(fetch, plan), strict=True):
            if isinstance(got, SegmentCorruptError):
                if not skip_damaged:
                    raise got
                result.damage.append(got)
            else:
                result.chunks.append((ref.offset + lo, got))
        return result

    def verify(self, version: ManifestVersion | None = None) -> list[SegmentCorruptError]:
        """Fetch and check every segment whole; the damaged or missing ones."""
        return self.read(version=version, skip_damaged=True).damage

    def orphans(self, version: ManifestVersion | None = None) -> list[ObjectInfo]:
        """Segment objects of this session that its manifest does not list.

        They are left by writes refused as stale or interrupted before the manifest swap, but a
        writer between its uploads and its swap has some too: delete only those older than
        the longest write can take.
        """
        listed = {ref.name for ref in (version or self.load()).manifest.segments}
        prefix = f"{self.session}/~segments/"
        return [
            info for info in self.bucket.list(prefix) if info.key.rpartition("/")[2] not in listed
        ]
