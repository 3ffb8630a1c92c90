"""Segments of zstd frames holding the session file's bytes, written and read back safely.

The covered bytes of the session file are cut at line ends into frames of at most
``frame_size`` bytes (a single longer line gets a frame of its own), so that every line lies in
exactly one frame. Each frame is compressed on its own, with its content size and a content
checksum in the frame header, and frames are appended to segment files of bounded size.

Reading a frame is bounded: the compressed length and the uncompressed length come from the
index; the frame header must declare exactly that content size before anything is decompressed,
and the output buffer is never larger (one-shot decompression would silently stop after the
first of several concatenated frames, and a truncated frame could stream out partial data, so
neither is relied on: every frame is read alone and its length checked).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import zstandard

from sesslog._closing import Closing
from sesslog.backends.fs import FILE_MODE, sync_data
from sesslog.errors import SidecarCorruptError
from sesslog.v2.layout import segment_name
from sesslog.v2.manifest import SegmentFile
from sesslog.v2.steps import step

__all__ = ["FrameReader", "SegmentWriter", "frame_bounds"]

#: Default bound on a frame's uncompressed size.
FRAME_SIZE = 256 * 1024
#: Default bound on a segment file's size.
SEGMENT_SIZE = 64 * 1024 * 1024
#: Default zstd level.
ZSTD_LEVEL = 6


def frame_bounds(data: bytes, start: int, end: int, frame_size: int) -> list[tuple[int, int]]:
    """Cut ``data[start:end]`` at line ends into pieces of at most ``frame_size`` bytes.

    A piece ends just after a ``\\n`` (or at ``end``); a line longer than ``frame_size`` is a
    piece of its own.
    """
    bounds = []
    pos = start
    while pos < end:
        limit = min(pos + frame_size, end)
        if limit == end:
            cut = end
        else:
            newline = data.rfind(b"\n", pos, limit)
            if newline == -1:
                newline = data.find(b"\n", limit, end)
            cut = end if newline == -1 else newline + 1
        bounds.append((pos, cut))
        pos = cut
    return bounds


class SegmentWriter:
    """Compress pieces into frames and append them to new segment files in a folder.

    Args:
        folder: Where the segment files go.
        first_number: Number of the first segment file to create.
        level: zstd compression level.
        segment_size: Start a new segment file once the current one reaches this size.
        step_name: Step reported (see :mod:`sesslog.v2.steps`) after each segment is synced.
    """

    def __init__(
        self,
        folder: Path,
        *,
        first_number: int,
        level: int,
        segment_size: int,
        step_name: str,
    ) -> None:
        self.folder = folder
        self.level = level
        self.segment_size = segment_size
        self.step_name = step_name
        self.segments: list[SegmentFile] = []
        self._number = first_number
        self._fd: int | None = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._frames = 0

    def write_frames(
        self, data: bytes, bounds: list[tuple[int, int]], threads: int = 0
    ) -> Iterator[tuple[int, int, int]]:
        """Compress ``data[a:b]`` for each bound (on several threads) and write the frames in
        order.

        Yields:
            ``(segment number, offset in segment, compressed size)`` per frame, in order.
        """
        workers = threads or min(4, os.cpu_count() or 1)
        local = threading.local()
        view = memoryview(data)

        def compress(bound: tuple[int, int]) -> bytes:
            cctx = getattr(local, "cctx", None)
            if cctx is None:
                cctx = local.cctx = zstandard.ZstdCompressor(
                    level=self.level, write_checksum=True, write_content_size=True
                )
            frame: bytes = cctx.compress(view[bound[0] : bound[1]])
            return frame

        from concurrent.futures import ThreadPoolExecutor  # writers only: a read needs no pool

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for frame in pool.map(compress, bounds):
                yield self._append(frame)

    def _append(self, frame: bytes) -> tuple[int, int, int]:
        if self._fd is not None and self._size + len(frame) > self.segment_size:
            self._finish()
        if self._fd is None:
            path = self.folder / segment_name(self._number)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            self._fd = os.open(path, flags, FILE_MODE)
            self._size = 0
            self._frames = 0
            self._hash = hashlib.sha256()
        offset = self._size
        view = memoryview(frame)
        while view:
            view = view[os.write(self._fd, view) :]
        self._hash.update(frame)
        self._size += len(frame)
        self._frames += 1
        return self._number, offset, len(frame)

    def _finish(self) -> None:
        assert self._fd is not None
        fd, self._fd = self._fd, None
        try:
            sync_data(fd)
        finally:
            os.close(fd)
        digest = "sha256:" + self._hash.hexdigest()
        self.segments.append(
            SegmentFile(segment_name(self._number), self._size, digest, self._frames)
        )
        self._number += 1
        step(self.step_name)

    def close(self) -> list[SegmentFile]:
        """Sync and close the last segment; return every segment written."""
        if self._fd is not None:
            self._finish()
        return self.segments

    def abort(self) -> None:
        """Close without syncing (the folder is being abandoned)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()


class FrameReader(Closing):
    """Read and decompress frames from a sidecar's segment files, one frame at a time.

    Args:
        folder: The sidecar folder.
        segments: The segment files, in the manifest's order.
    """

    def __init__(self, folder: Path, segments: list[SegmentFile]) -> None:
        self.folder = folder
        self.segments = segments
        self._fds: dict[int, int] = {}
        self._dctx = zstandard.ZstdDecompressor()

    def compressed(self, segment: int, offset: int, size: int) -> bytes:
        """The stored bytes of one frame.

        Raises:
            SidecarCorruptError: The segment number is unknown or the file is too short.
        """
        if not 0 <= segment < len(self.segments):
            raise SidecarCorruptError(f"frame names unknown segment {segment}")
        name = self.segments[segment].name
        fd = self._fds.get(segment)
        if fd is None:
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            fd = self._fds[segment] = os.open(self.folder / name, flags)
        blob = os.pread(fd, size, offset)
        if len(blob) != size:
            raise SidecarCorruptError(
                f"segment is truncated: frame of {size} bytes at {offset} has {len(blob)}",
                file=str(self.folder / name),
                offset=offset + len(blob),
            )
        return blob

    def read(self, segment: int, offset: int, size: int, length: int) -> bytes:
        """Decompress one frame whose content must be exactly ``length`` bytes.

        Raises:
            SidecarCorruptError: The frame is truncated, declares another size, fails its
                checksum or does not decompress.
        """
        blob = self.compressed(segment, offset, size)
        return self.decompress(blob, length, segment=segment, offset=offset)

    def decompress(self, blob: bytes, length: int, *, segment: int, offset: int) -> bytes:
        """Decompress a frame's stored bytes, allocating no more than ``length`` bytes."""
        file = str(self.folder / self.segments[segment].name)
        try:
            declared = zstandard.frame_content_size(blob)
            if declared != length:
                raise SidecarCorruptError(
                    f"frame declares {declared} bytes, the index says {length}",
                    file=file,
                    offset=offset,
                )
            out = self._dctx.decompress(blob, max_output_size=length)
        except zstandard.ZstdError as exc:
            raise SidecarCorruptError(
                f"frame does not decompress: {exc}", file=file, offset=offset
            ) from None
        if len(out) != length:
            raise SidecarCorruptError(
                f"frame holds {len(out)} bytes, the index says {length}", file=file, offset=offset
            )
        return out

    def close(self) -> None:
        """Close the segment files."""
        fds, self._fds = self._fds, {}
        for fd in fds.values():
            os.close(fd)
