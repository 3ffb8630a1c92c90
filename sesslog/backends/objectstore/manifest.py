"""The manifest: the small object that lists a session's segments in order.

Stored as two lines: the manifest's compact JSON, then ``sha256:`` and the SHA-256 of that first
line. It is the session's commit point: segments are written first, then the manifest is
replaced by a compare-and-swap (``If-Match`` on the ETag it was read with, or ``If-None-Match``
for the first one), so a writer working from a stale manifest is refused and nothing it wrote is
listed. ``generation`` counts the updates; ``fence`` is the highest fencing number of a writer
lease that has written the session (a write under a lower one is refused). ``torn`` counts the
bytes after the session's last newline: a session created with an unfinished last line keeps it
until a writer repairs the tail (see :mod:`sesslog.backends.objectstore.log`).
"""

from __future__ import annotations

import bisect
import hashlib
from datetime import datetime, timezone

import msgspec

from sesslog.backends.objectstore.segments import SegmentRef

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Manifest",
    "SidecarRef",
    "decode_manifest",
    "encode_manifest",
]

FORMAT_NAME = "sesslog-objectstore"
FORMAT_VERSION = 1


class SidecarRef(msgspec.Struct, frozen=True, rename="camel"):
    """The session's V2 sidecar as the manifest references it.

    Its files are immutable objects ``<session>/~v2/<sha256>`` named by the SHA-256 of their
    bytes; the sidecar's own ``manifest.json`` names the others by their hashes.

    Attributes:
        manifest: SHA-256 (hex) of the sidecar's ``manifest.json``, its object's name.
        manifest_size: Length of that ``manifest.json``.
        size: Bytes of the session the sidecar covers (a prefix, ``0 .. size``).
    """

    manifest: str
    manifest_size: int
    size: int


class Manifest(msgspec.Struct, frozen=True, rename="camel"):
    """A session in a bucket: its segments, in order, tiling ``0 .. size``.

    Attributes:
        session: The session's key (the folder of its objects in the bucket).
        generation: ``0`` before the first write, one more after each.
        fence: Highest fencing number that has written the session (``0``: none).
        size: Bytes of the session held.
        lines: Lines of the session held.
        block_size: Bytes per CRC-32 block of every segment.
        segments: The segments, in order.
        updated_at: ISO 8601 UTC time of the last update.
        torn: Bytes after the last newline (an unfinished last line), usually ``0``.
        sidecar: The V2 sidecar of a prefix of the session, when one was pushed.
    """

    session: str
    generation: int
    fence: int
    size: int
    lines: int
    block_size: int
    segments: list[SegmentRef]
    updated_at: str
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    torn: int = 0
    sidecar: SidecarRef | None = None

    @classmethod
    def empty(cls, session: str, block_size: int) -> Manifest:
        """The manifest of a session with no bytes yet (never stored)."""
        return cls(session, 0, 0, 0, 0, block_size, [], "")

    def appended(self, refs: list[SegmentRef], fence: int, *, torn: int = 0) -> Manifest:
        """A new generation with ``refs`` added after the last segment (``torn``: bytes after
        the last newline once they are added)."""
        return self.rewritten([*self.segments, *refs], fence, torn=torn)

    def rewritten(self, segments: list[SegmentRef], fence: int, *, torn: int = 0) -> Manifest:
        """A new generation listing ``segments`` (the old ones with a new end); the sidecar
        reference is kept only while the sidecar still covers a prefix of what they hold."""
        size = segments[-1].end if segments else 0
        sidecar = self.sidecar if self.sidecar is not None and self.sidecar.size <= size else None
        return msgspec.structs.replace(
            self,
            generation=self.generation + 1,
            fence=max(self.fence, fence),
            size=size,
            lines=sum(ref.lines for ref in segments),
            segments=segments,
            updated_at=_now(),
            torn=torn,
            sidecar=sidecar,
        )

    def with_sidecar(self, sidecar: SidecarRef, fence: int) -> Manifest:
        """A new generation referencing ``sidecar`` (the segments unchanged)."""
        return msgspec.structs.replace(
            self,
            generation=self.generation + 1,
            fence=max(self.fence, fence),
            updated_at=_now(),
            sidecar=sidecar,
        )

    def prefix_digest(self, size: int) -> str | None:
        """A digest standing for the session's bytes ``0 .. size``: the SHA-256 of the names
        of the segments tiling them (names carry their content's SHA-256). ``None`` when no
        segment ends exactly at ``size``."""
        names = []
        for ref in self.segments:
            if ref.end > size:
                break
            names.append(ref.name)
        if (self.segments[len(names) - 1].end if names else 0) != size:
            return None
        return "segments:" + hashlib.sha256("\n".join(names).encode()).hexdigest()

    def overlapping(self, start: int, end: int) -> list[SegmentRef]:
        """The segments holding any of the session's bytes ``start .. end``, in order."""
        if start >= end:
            return []
        first = bisect.bisect_right(self.segments, start, key=lambda ref: ref.offset) - 1
        found = []
        for ref in self.segments[max(first, 0) :]:
            if ref.offset >= end:
                break
            found.append(ref)
        return found

    def problems(self) -> list[str]:
        """What makes this manifest inconsistent (empty when it is sound)."""
        found = []
        if self.format != FORMAT_NAME or self.format_version != FORMAT_VERSION:
            found.append(f"format {self.format!r} version {self.format_version} not supported")
        if self.block_size <= 0:
            found.append(f"block size {self.block_size}")
        at = 0
        for ref in self.segments:
            if ref.offset != at or ref.size <= 0:
                found.append(f"segment {ref.name} at {ref.offset} size {ref.size}, expected {at}")
            expected_blocks = -(-ref.size // self.block_size) if self.block_size > 0 else 0
            if len(ref.crc32) != expected_blocks:
                found.append(f"segment {ref.name}: {len(ref.crc32)} checksums")
            at = ref.end
        if at != self.size:
            found.append(f"segments end at {at}, size says {self.size}")
        if not 0 <= self.torn <= self.size:
            found.append(f"torn tail of {self.torn} bytes")
        if self.sidecar is not None and not 0 < self.sidecar.size <= self.size - self.torn:
            found.append(f"sidecar covers {self.sidecar.size} bytes of {self.size}")
        return found


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Manifest)


def encode_manifest(manifest: Manifest) -> bytes:
    """The stored form: JSON line, then ``sha256:<hex of that line>``."""
    body = _encoder.encode(manifest)
    return body + b"\nsha256:" + hashlib.sha256(body).hexdigest().encode() + b"\n"


def decode_manifest(data: bytes) -> Manifest:
    """Read the stored form back, checking its checksum and consistency.

    Raises:
        ValueError: The bytes are not a sound manifest (the message says why).
    """
    body, _, trailer = data.rstrip(b"\n").rpartition(b"\n")
    expected = b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    if not body or trailer != expected:
        raise ValueError("checksum line missing or disagreeing")
    try:
        manifest = _decoder.decode(body)
    except msgspec.DecodeError as error:
        raise ValueError(str(error)) from error
    problems = manifest.problems()
    if problems:
        raise ValueError("; ".join(problems))
    return manifest
