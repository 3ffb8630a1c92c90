"""The sidecar manifest: what the sidecar covers and which files make it up.

The manifest is one line of JSON, ``manifest.json``, whose last key is ``checksum``: the SHA-256
of the same JSON without that key (the bytes up to ``,"checksum":`` followed by ``}``). Every
byte of the file is therefore covered: a change anywhere makes the checksum disagree or the file
unreadable. The manifest is the sidecar's commit point: it is always replaced whole, atomically,
after every file it names is on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import BinaryIO

import msgspec

from sesslog.backends.fingerprints import sha256_hex
from sesslog.backends.local import file_version
from sesslog.backends.protocol import Fingerprint
from sesslog.errors import SidecarCorruptError
from sesslog.v2.layout import MANIFEST_NAME

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "FileIdentity",
    "IndexFile",
    "Manifest",
    "SegmentFile",
    "SourceFingerprint",
    "SourceRange",
    "decode_manifest",
    "encode_manifest",
    "read_manifest",
    "sha256_hex",
    "sha256_of_range",
]

FORMAT_NAME = "sesslog-v2"
FORMAT_VERSION = 1

_FILE_NAME = re.compile(r"seg-[0-9]{6}\.zst|index-[0-9]{6}\.bin")
_CHECKSUM_SUFFIX = re.compile(rb',"checksum":"sha256:([0-9a-f]{64})"\}\n\Z')


def sha256_of_range(handle: BinaryIO, start: int, end: int) -> str:
    """``sha256:<hex>`` of bytes ``start .. end`` of an open file, read in 1 MiB pieces (a
    file shorter than ``end`` hashes what there is)."""
    digest = hashlib.sha256()
    handle.seek(start)
    left = end - start
    while left > 0:
        chunk = handle.read(min(1 << 20, left))
        if not chunk:
            break
        digest.update(chunk)
        left -= len(chunk)
    return "sha256:" + digest.hexdigest()


class SourceRange(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """A byte range of the session file and its hash.

    Attributes:
        start: First byte of the range.
        end: Byte after the last one.
        sha256: ``sha256:<hex>`` of those bytes.
    """

    start: int
    end: int
    sha256: str


class FileIdentity(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """What the operating system says of a file, taken just before its bytes were read.

    Any write, ``chmod``, ``touch`` or replacement of the file changes at least one of these
    (the change time cannot be set by programs), so a match means the bytes are unchanged.

    Attributes:
        dev: Device number.
        ino: Inode number.
        mtime_ns: Modification time in nanoseconds.
        ctime_ns: Status change time in nanoseconds.
    """

    dev: int
    ino: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileIdentity:
        """The identity in a ``stat`` result."""
        return cls(stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)

    def version(self) -> str:
        """The local backend's version stamp of a file with this identity."""
        return file_version(self.dev, self.ino, self.mtime_ns, self.ctime_ns)


class SourceFingerprint(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """Which prefix of the session file the sidecar holds.

    Attributes:
        name: The session file's name (without folder).
        size: Bytes covered: the sidecar holds bytes ``0 .. size`` of the file.
        ranges: Consecutive ranges covering ``0 .. size``, one per migration or catch-up, each
            with its hash; together they are the hash of the prefix.
        edges: ``sha256`` of the first and last 64 KiB of the prefix (a quick freshness check
            that reads 128 KiB whatever the file's size).
        identity: The file's identity when it was last read whole or caught up; opening
            through the sidecar requires it to be unchanged.
    """

    name: str
    size: int
    ranges: list[SourceRange]
    edges: str
    identity: FileIdentity

    def fingerprint(self) -> Fingerprint:
        """The backend fingerprint of the bytes held (what freshness is checked against)."""
        return Fingerprint(self.size, self.edges, self.identity.version())


class SegmentFile(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """One segment file: zstd frames holding the session's bytes.

    Attributes:
        name: File name inside the sidecar folder.
        size: Length in bytes.
        sha256: ``sha256:<hex>`` of the file.
        frames: Number of frames in it.
    """

    name: str
    size: int
    sha256: str
    frames: int


class IndexFile(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """One index part: the entries and frames added by one migration or catch-up.

    Attributes:
        name: File name inside the sidecar folder.
        size: Length in bytes.
        sha256: ``sha256:<hex>`` of the file (the index checksum).
        first_entry: Index row of its first entry.
        entries: Number of entries (rows) in it.
        first_frame: Number of its first frame.
        frames: Number of frames it describes.
    """

    name: str
    size: int
    sha256: str
    first_entry: int
    entries: int
    first_frame: int
    frames: int


class Manifest(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    """Everything needed to find, check and trust the rest of the sidecar.

    Attributes:
        format: Always ``"sesslog-v2"``.
        format_version: Version of this layout (1).
        migration_id: Id of the migration that created the sidecar (catch-ups keep it).
        generation: 0 after a migration, one more after each catch-up.
        created_at: When the migration ran (ISO 8601 UTC).
        updated_at: When the last migration or catch-up ran.
        source: The session-file prefix the sidecar holds.
        entries: Number of entry rows in the index.
        frames: Number of frames over all segments.
        segments: The segment files in order.
        index: The index parts in order.
        frame_size: The bound on a frame's uncompressed size (a single longer line gets a
            frame of its own).
        zstd_level: The compression level used.
    """

    format: str
    format_version: int
    migration_id: str
    generation: int
    created_at: str
    updated_at: str
    source: SourceFingerprint
    entries: int
    frames: int
    segments: list[SegmentFile]
    index: list[IndexFile]
    frame_size: int
    zstd_level: int

    def payload_files(self) -> list[SegmentFile | IndexFile]:
        """The segment files, then the index parts."""
        return [*self.segments, *self.index]

    def file_names(self) -> list[str]:
        """Every file the manifest names, the manifest included."""
        return [MANIFEST_NAME, *(s.name for s in self.segments), *(i.name for i in self.index)]


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Manifest)


def encode_manifest(manifest: Manifest) -> bytes:
    """The bytes of ``manifest.json``: compact JSON ending with its own checksum."""
    body = _ENCODER.encode(manifest)
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + b',"checksum":"sha256:' + digest.encode("ascii") + b'"}\n'


def decode_manifest(data: bytes, *, file: str = MANIFEST_NAME) -> Manifest:
    """Check and decode the bytes of ``manifest.json``.

    Raises:
        SidecarCorruptError: The checksum is missing or wrong, the JSON does not have the
            manifest's shape, or the format is not one sesslog knows.
    """
    match = _CHECKSUM_SUFFIX.search(data)
    if match is None:
        raise SidecarCorruptError("no checksum at the end of the manifest", file=file)
    body = data[: match.start()] + b"}"
    if hashlib.sha256(body).hexdigest() != match.group(1).decode("ascii"):
        raise SidecarCorruptError("manifest checksum does not match its content", file=file)
    try:
        manifest = _DECODER.decode(body)
    except msgspec.DecodeError as exc:
        raise SidecarCorruptError(f"manifest is not valid: {exc}", file=file) from None
    if manifest.format != FORMAT_NAME or manifest.format_version != FORMAT_VERSION:
        raise SidecarCorruptError(
            f"unknown sidecar format {manifest.format!r} version {manifest.format_version}",
            file=file,
        )
    for entry in manifest.payload_files():
        if not _FILE_NAME.fullmatch(entry.name):
            raise SidecarCorruptError(
                f"manifest names an unexpected file {entry.name!r}", file=file
            )
    return manifest


def read_manifest(folder: str | os.PathLike[str]) -> Manifest:
    """Read and check ``manifest.json`` in a sidecar folder.

    Raises:
        FileNotFoundError: No manifest.
        SidecarCorruptError: See :func:`decode_manifest`.
    """
    path = Path(folder) / MANIFEST_NAME
    return decode_manifest(path.read_bytes(), file=str(path))
