"""The storage seam: what a backend does with the bytes of the sessions it keeps.

A backend keeps *logs* (one per session: the JSONL bytes, header first) under string *keys*
relative to its root. Everything above this module (the write queue, the facade, projections,
stores) talks to a :class:`LogBackend` and the :class:`LogWriter` it hands out, never to files
directly, so a new place for the bytes (object storage, a database) is one new implementation of
these two protocols and nothing above changes.

The promises every implementation keeps (``tests/contract/test_log_backend.py`` checks them):

* **born complete**: :meth:`LogBackend.create` makes a log that holds its whole first content
  (a header line and possibly more whole lines) or does not exist; it never overwrites a log.
* **one writer**: a log has at most one :class:`LogWriter` at a time, holding its
  :class:`Lease`; another :meth:`~LogBackend.open_writer` waits up to its ``wait`` and then
  raises :class:`~sesslog.errors.SessionLockedError` naming the holder.
* **append only, in order**: :meth:`LogWriter.write_lines` adds whole lines at the end, in
  call order; nothing written is ever rewritten in place.
* **sync**: a line written with ``sync=True``, or followed by :meth:`LogWriter.sync`, survives a
  crash of the machine once the call returns; other lines may be lost (from the end) by one.
* **failures are final**: once a write or sync fails, the writer raises
  :class:`~sesslog.errors.WriterFailedError` on every later use.
* **clean end**: opening a writer first repairs a torn tail (an unfinished last line is moved
  aside, a complete one lacking its newline gets it), so appends never glue onto damage.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

import msgspec

from sesslog.errors import WriterFailedError

__all__ = [
    "Fingerprint",
    "FolderInfo",
    "Lease",
    "LeaseHolder",
    "LogBackend",
    "LogInfo",
    "LogWriter",
    "TailRepair",
    "in_pi_layout",
    "key_parts",
    "logs_in_folder",
    "writer_failed",
]


def key_parts(key: str) -> tuple[str, ...]:
    """The ``/``-separated parts of a key.

    Raises:
        ValueError: The key is empty or absolute, or has a ``..`` part or a NUL.
    """
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or ".." in parts or "\x00" in key:
        raise ValueError(f"{key!r}: not a key (a relative path without '..')")
    return parts


def in_pi_layout(key: str) -> bool:
    """Whether a key is a log of pi's layout: in the root or one folder deep, no hidden part
    (the backend's trash and a store's catalog start with ``.``)."""
    return key.count("/") <= 1 and not key.startswith(".")


def logs_in_folder(logs: Iterable[LogInfo], name: str) -> list[LogInfo]:
    """The logs of ``logs`` directly in folder ``name`` (``""``: the root): for a backend
    whose :meth:`LogBackend.list_folder` is a filter of its whole listing."""
    prefix = name + "/" if name else ""
    return [
        info for info in logs if info.key.startswith(prefix) and "/" not in info.key[len(prefix) :]
    ]


class LeaseHolder(msgspec.Struct, frozen=True):
    """Who holds a log's writer lease, as far as the backend can tell.

    Attributes:
        pid: The holder's process id, when known.
        host: The holder's host name, when the backend records it (leases across machines).
    """

    pid: int | None = None
    host: str | None = None


class Lease(msgspec.Struct, frozen=True):
    """The right to append to one log, held by its single writer.

    Attributes:
        key: The log.
        holder: Who holds it.
        fence: A number that grows with every new lease of the log, for backends whose lease
            can expire (a database row): the store refuses writes carrying an older fence.
            ``None`` where the lease cannot be lost while held (the operating system's lock).
    """

    key: str
    holder: LeaseHolder
    fence: int | None = None


class Fingerprint(msgspec.Struct, frozen=True):
    """What identifies a log's bytes at one moment, cheaply.

    Two fingerprints of the same log with equal ``size`` and ``prefix`` stand for the same
    bytes (to the strength of the digest); a later fingerprint whose first ``size`` bytes still
    give ``prefix`` (:meth:`LogBackend.prefix_matches`) means the log only grew.

    Attributes:
        size: Bytes covered: ``0 .. size``.
        prefix: A digest standing for those bytes (``sha256:<hex>``; for local files the hash of
            the first and last 64 KiB, see :mod:`sesslog.backends.fingerprints`).
        version: The backend's change stamp of the whole log when the fingerprint was taken
            (local files: device, inode, modification and change times), or ``None``. A
            different version with equal size and prefix means the log was touched and only
            reading every byte can tell whether it changed.
    """

    size: int
    prefix: str
    version: str | None = None


class LogInfo(msgspec.Struct, frozen=True):
    """One log as a listing shows it: its key and the facts that tell when it changed.

    Attributes:
        key: The log's key (for a trashed log, its key in the trash).
        size: Its length in bytes.
        mtime_ns: When it last changed, in nanoseconds since the epoch.
        ino: The identity of the stored object (a file's inode), or 0 where the backend has
            none: a log replaced whole gets a new one.
        ctime_ns: When its metadata last changed (a rename, a permission change), or 0.
        problem: Why the log is listed but cannot be read (a symlink in a local folder), or
            ``None``; reading it raises.
    """

    key: str
    size: int
    mtime_ns: int
    ino: int = 0
    ctime_ns: int = 0
    problem: str | None = None


class FolderInfo(msgspec.Struct, frozen=True):
    """One folder of logs as :meth:`LogBackend.folders` shows it: a log added, removed or
    renamed in it changes its stamp.

    Attributes:
        name: The folder's key (``""`` for the backend's root).
        mtime_ns: Its last change, in nanoseconds since the epoch.
        ino: Its identity (a folder replaced gets a new one), or 0.
    """

    name: str
    mtime_ns: int
    ino: int


class TailRepair(msgspec.Struct, frozen=True):
    """What was done to a log's unfinished tail before appending.

    Attributes:
        offset: Where the tail started (the log's new length), or the old length when only a
            newline was added.
        length: Bytes moved aside (0 when only a missing newline was added).
        side_file: Where the moved bytes were saved (a path, or a key for other backends), or
            ``None``.
        newline_added: True when the tail was a complete record lacking only its ``\\n``.
    """

    offset: int
    length: int
    side_file: str | None
    newline_added: bool


class LogWriter(Protocol):
    """The single writer of one log, holding its lease until :meth:`close`.

    Attributes:
        name: How messages name the log (a file path, or ``memory:<key>``).
        lease: The lease held.
        repair: What was done to a torn tail when the writer was opened, or ``None``.
        failed: The error that ended this writer, or ``None``.
    """

    name: str
    lease: Lease
    repair: TailRepair | None
    failed: BaseException | None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        ...

    def size(self) -> int:
        """The log's current length."""
        ...

    def write_lines(self, lines: bytes, *, sync: bool = False, end: bytes = b"\n") -> None:
        """Append whole lines at once: ``lines`` then ``end`` (the last line's ending, or
        ``b""`` when ``lines`` already ends with it); durable when it returns if ``sync``.

        A synced write may make only its own bytes durable: use it when everything before is
        synced already, else write and then :meth:`sync`.

        Raises:
            WriterFailedError: This or an earlier write or sync failed, or the writer is closed.
        """
        ...

    def sync(self) -> None:
        """Make everything written durable.

        Raises:
            WriterFailedError: The sync failed (final) or an earlier call failed.
        """
        ...

    def close(self) -> None:
        """Release the lease (no sync: call :meth:`sync` first)."""
        ...


class LogBackend(Protocol):
    """Where the logs of sessions live: one implementation per kind of storage.

    Keys are ``/``-separated strings relative to the backend's root; ``..`` and absolute keys
    are refused with ``ValueError``.

    Trashed logs keep their key under the backend's trash folder:
    ``<trash_folder>/<deleted-at-ms>/<key>``, the bucket being the deletion time in Unix
    milliseconds (the first one not holding that key already, so a trashed log is never
    replaced), which tells a store when it was deleted and where it goes back.

    Attributes:
        kind: A short name of the storage (``jsonl``, ``memory``), also the
            :class:`~sesslog.projections.protocol.SessionStoreKind` of a session read from it.
        trash_folder: The key prefix of trashed logs (``.sesslog/trash`` for a local folder,
            the layout of a session store's trash; ``.trash`` in memory).
    """

    kind: str
    trash_folder: str

    def describe(self, key: str) -> str:
        """How messages name the log of ``key`` (its path for local files)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The log's file when it is one on this machine (projections beside it use it)."""
        ...

    def create(self, key: str, content: bytes) -> LogWriter:
        """Create a log holding ``content`` (whole lines, header first), durably, and return
        its writer. The log never exists partly written, and an existing one is never replaced.

        Raises:
            FileExistsError: The key is taken.
        """
        ...

    def open_writer(self, key: str, *, wait: float | None = None) -> LogWriter:
        """Take the log's lease (waiting up to ``wait`` seconds), repair a torn tail, and
        return the writer.

        Raises:
            SessionLockedError: Another writer holds the lease.
            FileNotFoundError: No such log.
            FormatError: The log has no complete first line (it is left untouched).
        """
        ...

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Up to ``length`` bytes (default: all) from ``offset``.

        Raises:
            FileNotFoundError: No such log.
        """
        ...

    def stat(self, key: str) -> LogInfo:
        """The log's size and change time.

        Raises:
            FileNotFoundError: No such log.
        """
        ...

    def fingerprint(self, key: str) -> Fingerprint:
        """The fingerprint of the whole log as it is now.

        Raises:
            FileNotFoundError: No such log.
        """
        ...

    def prefix_matches(self, key: str, fingerprint: Fingerprint) -> bool:
        """Whether the log's first ``fingerprint.size`` bytes still give ``fingerprint.prefix``
        (False when the log is shorter or missing)."""
        ...

    def list(self, *, trash: bool = False) -> list[LogInfo]:
        """Every log (or with ``trash``, every trashed log), sorted by key.

        Logs live in the root and in its folders, one level deep (pi's layout,
        ``<folder>/<file>``); keys whose first part starts with ``.`` are the backend's own
        (its trash, a store's catalog) and are not listed. A log that is there but cannot be
        read is listed with its ``problem``.
        """
        ...

    def folders(self) -> builtins.list[FolderInfo] | None:
        """The root (``""``) and each folder of logs with its stamp, so that a caller can list
        again only the folders whose stamp changed; ``None`` when the backend cannot tell
        (a caller then lists every log)."""
        ...

    def list_folder(self, name: str) -> builtins.list[LogInfo]:
        """The logs directly in folder ``name`` (``""``: the root), in no particular order:
        what :meth:`list` gives for that folder."""
        ...

    def trash(self, key: str, *, deleted_ms: int | None = None) -> str:
        """Move a log to the trash (under the lease, so never behind a live writer's back).

        Args:
            key: The log.
            deleted_ms: The deletion time that names the trash bucket (Unix milliseconds;
                default: now). A store passes its own clock's time.

        Returns:
            The log's key in the trash, ``<trash_folder>/<deleted-at-ms>/<key>`` (for
            :meth:`restore` and :meth:`delete`).

        Raises:
            SessionLockedError: A writer holds the lease.
            FileNotFoundError: No such log.
        """
        ...

    def restore(self, trash_key: str) -> str:
        """Move a trashed log back to where it was.

        Returns:
            Its key.

        Raises:
            FileExistsError: Another log took that key meanwhile.
            FileNotFoundError: No such trashed log.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove a log (or a trashed log, by its trash key) for good, under the lease.

        Raises:
            SessionLockedError: A writer holds the lease.
            FileNotFoundError: No such log.
        """
        ...

    def active_writer(self, key: str) -> LeaseHolder | None:
        """Who holds the log's lease now (``None``: no writer), without disturbing it."""
        ...


def writer_failed(writer: LogWriter, what: str, error: OSError) -> WriterFailedError:
    """Record ``error`` as the failure that ends ``writer`` and return the error to raise
    (``what``: the call that failed, such as ``write`` or ``sync``)."""
    writer.failed = error
    return WriterFailedError(f"{writer.name}: {what} failed: {error}", cause=error)
