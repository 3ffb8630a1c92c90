"""Segments: sealed runs of whole lines of a session, named by their content.

A segment holds the session's bytes ``offset .. offset + size``, always whole ``\\n``-ended lines,
and is never changed once written. Its name is ``<offset as 16 hex digits>-<SHA-256 of its
bytes>``: writing the same bytes at the same place gives the same name (so a retried upload is a
no-op), a listing sorts in session order, and the name alone proves the content. Besides the
SHA-256 of the whole segment, its reference keeps a CRC-32 of every ``block_size`` block, so a
ranged read is checked without fetching the whole segment.
"""

from __future__ import annotations

import hashlib
import zlib

import msgspec

__all__ = [
    "SegmentRef",
    "block_span",
    "check_blocks",
    "check_whole",
    "cut_lines",
    "seal",
]


class SegmentRef(msgspec.Struct, frozen=True, rename="camel"):
    """A segment as the manifest lists it.

    Attributes:
        name: The object name, ``<offset:016x>-<sha256>``.
        offset: Offset of its first byte in the session.
        size: Its length in bytes.
        sha256: SHA-256 of its bytes (hex).
        lines: Number of lines it holds.
        crc32: CRC-32 of each ``block_size`` block, in order (the last block may be shorter).
    """

    name: str
    offset: int
    size: int
    sha256: str
    lines: int
    crc32: list[int]

    @property
    def end(self) -> int:
        """Offset just past its last byte in the session."""
        return self.offset + self.size


def cut_lines(data: bytes, target: int) -> list[bytes]:
    """Cut ``data`` (whole lines) into runs of whole lines of about ``target`` bytes.

    A run ends at the last line end within ``target`` bytes of its start; a single line longer
    than ``target`` is a run of its own. The cut depends on the bytes alone, so the same bytes
    always give the same runs.

    Raises:
        ValueError: ``data`` is empty or does not end with ``\\n``.
    """
    if not data.endswith(b"\n"):
        raise ValueError("segments hold whole lines: the bytes must end with a newline")
    runs: list[bytes] = []
    start = 0
    while start < len(data):
        limit = start + target
        if limit >= len(data):
            end = len(data)
        else:
            cut = data.rfind(b"\n", start, limit)
            end = cut + 1 if cut >= 0 else data.index(b"\n", limit) + 1
        runs.append(data[start:end])
        start = end
    return runs


def _crcs(data: bytes, block_size: int) -> list[int]:
    view = memoryview(data)
    return [zlib.crc32(view[at : at + block_size]) for at in range(0, len(data), block_size)]


def seal(offset: int, data: bytes, block_size: int) -> SegmentRef:
    """The reference of a segment holding ``data`` at ``offset`` of the session."""
    digest = hashlib.sha256(data).hexdigest()
    return SegmentRef(
        name=f"{offset:016x}-{digest}",
        offset=offset,
        size=len(data),
        sha256=digest,
        lines=data.count(b"\n"),
        crc32=_crcs(data, block_size),
    )


def check_whole(ref: SegmentRef, data: bytes) -> str | None:
    """Why ``data`` is not the segment ``ref`` names (``"size"``, ``"sha256"``), or ``None``."""
    if len(data) != ref.size:
        return f"size: {len(data)} bytes, expected {ref.size}"
    actual = hashlib.sha256(data).hexdigest()
    if actual != ref.sha256:
        return f"sha256: {actual[:16]}..., expected {ref.sha256[:16]}..."
    return None


def block_span(ref: SegmentRef, start: int, end: int, block_size: int) -> tuple[int, int]:
    """The block-aligned span of the segment covering its bytes ``start .. end``."""
    first = start - start % block_size
    last = min(ref.size, -(-end // block_size) * block_size)
    return first, last


def check_blocks(
    ref: SegmentRef, span: tuple[int, int], data: bytes, block_size: int
) -> str | None:
    """Why ``data``, read as the block-aligned ``span`` of the segment, disagrees with ``ref``'s
    CRCs, or ``None``."""
    first, last = span
    if len(data) != last - first:
        return f"size: {len(data)} bytes read at {first}, expected {last - first}"
    index = first // block_size
    for number, crc in enumerate(_crcs(data, block_size), start=index):
        if number >= len(ref.crc32) or ref.crc32[number] != crc:
            return f"crc32: block {number} (bytes {number * block_size}..) disagrees"
    return None
