"""Read access to one sidecar folder: manifest, index parts, frames and the rebuilt bytes.

Nothing here writes. Every value taken from the sidecar is checked before it is trusted: the
manifest by its checksum; an index part by its SHA-256 when it is read whole, or by its header
checksum and the per-row checksums when only some rows are read; the frame table for
contiguity against the covered size; each frame by its declared size and zstd checksum.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from sesslog._closing import Closing
from sesslog.backends.local import LocalFolder
from sesslog.errors import SidecarCorruptError
from sesslog.projections.freshness import Freshness, compare
from sesslog.v2.blocks import BlockPart
from sesslog.v2.frames import FrameReader
from sesslog.v2.index import Facts, FrameInfo, IndexPart
from sesslog.v2.manifest import IndexFile, Manifest, SegmentFile, read_manifest

__all__ = ["Sidecar", "check_payload"]


class Sidecar(Closing):
    """A sidecar folder opened for reading.

    Args:
        folder: The sidecar folder (published or temporary).
        manifest: The manifest when already read; read from the folder otherwise.

    Raises:
        FileNotFoundError: The folder has no manifest.
        SidecarCorruptError: The manifest is damaged.
    """

    def __init__(self, folder: Path, manifest: Manifest | None = None) -> None:
        self.folder = folder
        self.manifest = manifest if manifest is not None else read_manifest(folder)
        self._parts: dict[int, IndexPart] = {}
        self._checked: set[int] = set()
        self._frames: list[FrameInfo] | None = None
        self._reader: FrameReader | None = None
        self._files: list[int] = []

    # ------------------------------------------------------------------ freshness

    def freshness(self, session: Path) -> Freshness:
        """Whether the sidecar holds the session file as it is now.

        Quick: compares the file's size, the hash of the first and last 64 KiB of the covered
        prefix and the file's identity (device, inode, modification and change times) with
        the manifest, reading 128 KiB at most (:func:`sesslog.projections.freshness.compare`).
        :func:`~sesslog.v2.migration_status` and :func:`~sesslog.v2.verify_v2_against_jsonl`
        hash every byte.
        """
        backend, key = LocalFolder.for_file(session)
        return compare(backend, key, self.manifest.source.fingerprint())

    # ------------------------------------------------------------------ index

    def part(self, number: int, *, whole: bool = True) -> IndexPart:
        """Index part ``number``.

        Args:
            number: Position in the manifest's index list.
            whole: Read the file and check its SHA-256 against the manifest; otherwise read
                it block by block as it is used (:class:`~sesslog.v2.blocks.BlockPart`) and
                rely on the header, section and row checksums for what is read.

        Raises:
            SidecarCorruptError: The file's size or hash disagrees with the manifest.
        """
        entry = self.manifest.index[number]
        known = self._parts.get(number)
        if known is not None and (not whole or number in self._checked):
            return known
        part = self._open_part(entry, whole=whole)
        if whole:
            self._checked.add(number)
        if (part.first_entry, part.entries) != (entry.first_entry, entry.entries) or (
            part.header.first_frame,
            part.header.frames,
        ) != (entry.first_frame, entry.frames):
            raise SidecarCorruptError("index part disagrees with the manifest", file=part.file)
        self._parts[number] = part
        return part

    def _open_part(self, entry: IndexFile, *, whole: bool) -> IndexPart:
        """Open one index part's file: read whole and checked against its SHA-256, or read
        block by block."""
        path = self.folder / entry.name
        if whole:
            data = path.read_bytes()
            check_payload(str(path), data, entry)
            return IndexPart(data, str(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._files.append(fd)
        _check_size(str(path), os.fstat(fd).st_size, entry.size)

        def read(start: int, end: int) -> bytes:
            data = os.pread(fd, end - start, start)
            if len(data) != end - start:
                raise SidecarCorruptError(
                    f"file ends at {start + len(data)}, {end} bytes expected", file=str(path)
                )
            return data

        return BlockPart(read, entry.size, str(path))

    def part_of_row(self, row: int, *, whole: bool = False) -> IndexPart:
        """The index part holding entry row ``row``.

        Raises:
            SidecarCorruptError: No part holds that row.
        """
        starts = [entry.first_entry for entry in self.manifest.index]
        number = bisect.bisect_right(starts, row) - 1
        if number < 0 or not 0 <= row < self.manifest.entries:
            raise SidecarCorruptError(f"no index part holds row {row}")
        return self.part(number, whole=whole)

    def facts(self, *, whole: bool = False) -> Facts:
        """The session's facts (from the last index part)."""
        return self.part(len(self.manifest.index) - 1, whole=whole).facts()

    def frames(self, *, whole: bool = False) -> list[FrameInfo]:
        """Every frame in order, checked to tile the covered bytes exactly.

        Raises:
            SidecarCorruptError: Frames overlap, leave gaps, or name a segment or offset that
                does not exist.
        """
        if self._frames is None:
            frames: list[FrameInfo] = []
            for number in range(len(self.manifest.index)):
                frames.extend(self.part(number, whole=whole).frames())
            self._check_frames(frames)
            self._frames = frames
        return self._frames

    def frame(self, number: int) -> FrameInfo:
        """Frame ``number`` alone, from its index part (without reading the other parts).

        Raises:
            SidecarCorruptError: No such frame, or it lies outside its segment.
        """
        if self._frames is not None and 0 <= number < len(self._frames):
            return self._frames[number]
        starts = [entry.first_frame for entry in self.manifest.index]
        part = self.part(max(0, bisect.bisect_right(starts, number) - 1), whole=False)
        frame = part.frame(number - part.header.first_frame)
        segments = self.manifest.segments
        if not 0 <= frame.segment < len(segments) or (
            frame.offset + frame.size > segments[frame.segment].size
        ):
            raise SidecarCorruptError(f"frame {number} lies outside its segment")
        return frame

    def _check_frames(self, frames: list[FrameInfo]) -> None:
        manifest = self.manifest
        if len(frames) != manifest.frames:
            raise SidecarCorruptError(
                f"the index lists {len(frames)} frames, the manifest {manifest.frames}"
            )
        position = 0
        for number, frame in enumerate(frames):
            if frame.start != position or frame.length <= 0:
                raise SidecarCorruptError(f"frame {number} does not follow the previous one")
            if not 0 <= frame.segment < len(manifest.segments) or (
                frame.offset + frame.size > manifest.segments[frame.segment].size
            ):
                raise SidecarCorruptError(f"frame {number} lies outside its segment")
            position += frame.length
        if position != manifest.source.size:
            raise SidecarCorruptError(
                f"frames hold {position} bytes, the manifest covers {manifest.source.size}"
            )

    # ------------------------------------------------------------------ payload

    @property
    def reader(self) -> FrameReader:
        """The frame reader over the segment files."""
        if self._reader is None:
            self._reader = FrameReader(self.folder, self.manifest.segments)
        return self._reader

    def frame_content(self, frame: FrameInfo) -> bytes:
        """The decompressed bytes of one frame."""
        return self.reader.read(frame.segment, frame.offset, frame.size, frame.length)

    def frame_contents(self, numbers: Iterable[int]) -> Iterator[tuple[int, bytes]]:
        """Each of the frames ``numbers`` with its decompressed bytes, in that order (one at
        a time here; a sidecar kept elsewhere may fetch them at once)."""
        for number in numbers:
            yield number, self.frame_content(self.frame(number))

    def iter_content(self) -> Iterator[tuple[FrameInfo, bytes]]:
        """Every frame with its decompressed bytes, in file order."""
        for frame in self.frames():
            yield frame, self.frame_content(frame)

    def rebuild(self) -> bytes:
        """The covered bytes of the session file, rebuilt from the frames alone."""
        return b"".join(content for _, content in self.iter_content())

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close segment and index files."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._parts.clear()
        self._checked.clear()
        files, self._files = self._files, []
        for fd in files:
            os.close(fd)


def check_payload(file: str, data: bytes, entry: IndexFile | SegmentFile) -> None:
    """Check a sidecar file's bytes against the size and SHA-256 the manifest lists.

    Raises:
        SidecarCorruptError: They disagree.
    """
    _check_size(file, len(data), entry.size)
    if "sha256:" + hashlib.sha256(data).hexdigest() != entry.sha256:
        raise SidecarCorruptError("checksum does not match the manifest", file=file)


def _check_size(file: str, actual: int, expected: int) -> None:
    if actual != expected:
        raise SidecarCorruptError(
            f"file has {actual} bytes, the manifest says {expected}", file=file
        )
