"""A session's V2 sidecar read from the bucket by ranged GETs.

:class:`RemoteSidecar` is a :class:`~sesslog.v2.store.Sidecar` whose files are the bucket's
objects ``<session>/~v2/<sha256>`` (see :mod:`sesslog.fleet.sidecar_push`), so everything that
loads a session from a sidecar (:mod:`sesslog.v2.opening`, :mod:`sesslog.v2.loading`) works on
it unchanged. It fetches only what a load touches:

* an index part opened for part of its rows is a buffer of the part's size filled block by
  block (:data:`BLOCK` bytes) on first use: the header, then each section or row read, each
  checked against its own crc32 as a mapped local part is (a part read whole is fetched whole
  and checked against its SHA-256);
* a frame is one ranged GET of its stored bytes in its segment object, checked by its declared
  size and zstd checksum.

``fetched`` and ``requests`` count what was downloaded.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from sesslog.backends.objectstore.log import SegmentLog, parallel
from sesslog.errors import SidecarCorruptError
from sesslog.v2.blocks import BlockPart
from sesslog.v2.index import FrameInfo, IndexPart
from sesslog.v2.manifest import IndexFile, Manifest, decode_manifest
from sesslog.v2.store import Sidecar, check_payload

__all__ = ["AT_ONCE", "RemoteSidecar"]

#: Frames fetched at once.
AT_ONCE = 8


class RemoteSidecar(Sidecar):
    """The sidecar of a session in a bucket, read lazily by ranged GETs.

    Args:
        log: The session's segments and manifest in the bucket.
        manifest: The sidecar's manifest (see :meth:`fetch`).
    """

    def __init__(self, log: SegmentLog, manifest: Manifest) -> None:
        super().__init__(Path(log.session), manifest)
        self.log = log
        self.fetched = 0
        self.requests = 0
        self._counting = threading.Lock()

    @classmethod
    def fetch(cls, log: SegmentLog, digest: str, size: int) -> RemoteSidecar:
        """Open the sidecar whose ``manifest.json`` has SHA-256 ``digest`` and ``size`` bytes.

        Raises:
            FileNotFoundError: The object is missing.
            SidecarCorruptError: It is not that manifest.
        """
        key = log.sidecar_key(digest)
        raw, _ = log.bucket.get(key)
        if len(raw) != size or hashlib.sha256(raw).hexdigest() != digest:
            raise SidecarCorruptError("manifest checksum disagrees", file=log.bucket.where(key))
        sidecar = cls(log, decode_manifest(raw, file=log.bucket.where(key)))
        sidecar.fetched, sidecar.requests = len(raw), 1
        return sidecar

    def object_key(self, sha256: str) -> str:
        """The key of the sidecar file whose manifest hash is ``sha256`` (``sha256:<hex>``)."""
        return self.log.sidecar_key(sha256.removeprefix("sha256:"))

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start .. end`` of object ``key``, counted.

        Raises:
            SidecarCorruptError: The object is missing or shorter.
        """
        try:
            data = self.log.bucket.get_range(key, start, end)
        except FileNotFoundError:
            raise SidecarCorruptError("object missing", file=self.log.bucket.where(key)) from None
        with self._counting:
            self.fetched += len(data)
            self.requests += 1
        if len(data) != end - start:
            raise SidecarCorruptError(
                f"object holds {start + len(data)} bytes, {end} expected",
                file=self.log.bucket.where(key),
            )
        return data

    def _open_part(self, entry: IndexFile, *, whole: bool) -> IndexPart:
        key = self.object_key(entry.sha256)
        if whole:
            data = self.get_range(key, 0, entry.size)
            check_payload(self.log.bucket.where(key), data, entry)
            return IndexPart(data, self.log.bucket.where(key))
        where = self.log.bucket.where(key)
        return _LazyPart(lambda start, end: self.get_range(key, start, end), entry.size, where)

    def _stored_frame(self, frame: FrameInfo) -> bytes:
        """One frame's stored bytes, by one ranged GET of its segment object."""
        if not 0 <= frame.segment < len(self.manifest.segments):
            raise SidecarCorruptError(f"frame names unknown segment {frame.segment}")
        key = self.object_key(self.manifest.segments[frame.segment].sha256)
        return self.get_range(key, frame.offset, frame.offset + frame.size)

    def frame_content(self, frame: FrameInfo) -> bytes:
        """The decompressed bytes of one frame, by one ranged GET of its segment object."""
        blob = self._stored_frame(frame)
        return self.reader.decompress(
            blob, frame.length, segment=frame.segment, offset=frame.offset
        )

    def frame_contents(self, numbers: Iterable[int]) -> Iterator[tuple[int, bytes]]:
        """Each of the frames ``numbers`` with its decompressed bytes, in that order, fetched
        :data:`AT_ONCE` at a time (and decompressed one after the other)."""
        wanted = [(number, self.frame(number)) for number in numbers]
        for start in range(0, len(wanted), AT_ONCE):
            batch = wanted[start : start + AT_ONCE]
            blobs = parallel(lambda item: self._stored_frame(item[1]), batch, AT_ONCE)
            for (number, frame), blob in zip(batch, blobs, strict=True):
                content = self.reader.decompress(
                    blob, frame.length, segment=frame.segment, offset=frame.offset
                )
                yield number, content


class _LazyPart(BlockPart):
    """An index part in the bucket, its blocks fetched by ranged GETs (several at once)."""

    def read_spans(self, spans: list[tuple[int, int]]) -> None:
        """Fetch the blocks of each span, the spans at once."""
        parallel(lambda span: self._ensure(*span), spans, len(spans) or 1)
