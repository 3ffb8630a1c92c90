"""The writer of one session kept in a bucket.

Lines written are gathered in memory and committed to the bucket as new segments plus a
manifest swap (:meth:`~sesslog.backends.objectstore.log.SegmentLog.append`) when the writer
syncs, when a write asks for ``sync``, when the gathered bytes reach a segment's size, and when
it closes. A commit is durable once it returns (the server has stored it); lines not committed
yet are what a crash of this machine loses, the seam's promise for unsynced lines. Every commit
carries the lease's fence and first checks that the lease is still held.
"""

from __future__ import annotations

from sesslog._closing import Closing
from sesslog.backends.objectstore.errors import ObjectStoreError
from sesslog.backends.objectstore.leasing import HeldLease
from sesslog.backends.objectstore.log import ManifestVersion, SegmentLog
from sesslog.backends.protocol import Lease, TailRepair
from sesslog.errors import WriterFailedError

__all__ = ["ObjectStoreWriter"]


class ObjectStoreWriter(Closing):
    """The single writer of one session in a bucket, holding its lease until :meth:`close`.

    Args:
        log: The session's segments and manifest.
        version: The manifest as the writer opened it (its fence recorded).
        held: The writer lease.
        fence: The fence every commit carries.
        name: How messages name the session.
        repair: What was done to a torn tail on opening.
    """

    def __init__(
        self,
        log: SegmentLog,
        version: ManifestVersion,
        held: HeldLease,
        *,
        fence: int,
        name: str,
        repair: TailRepair | None = None,
    ) -> None:
        self.log = log
        self.name = name
        self.lease = Lease(held.key, held.holder, held.fence)
        self.repair = repair
        self.failed: BaseException | None = None
        self._held = held
        self._fence = fence
        self._version = version
        self._pending = bytearray()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    @property
    def version(self) -> ManifestVersion:
        """The manifest as last committed by this writer."""
        return self._version

    def size(self) -> int:
        """The session's length, lines not committed yet included."""
        return self._version.manifest.size + len(self._pending)

    def write_lines(self, lines: bytes, *, sync: bool = False, end: bytes = b"\n") -> None:
        """Add ``lines`` and ``end``; committed to the bucket now when ``sync`` (or when a
        segment's worth is gathered)."""
        self._check()
        self._pending += lines
        self._pending += end
        if sync or len(self._pending) >= self.log.segment_size:
            self._commit("write")

    def sync(self) -> None:
        """Commit every line written to the bucket."""
        self._check()
        self._commit("sync")

    def close(self) -> None:
        """Commit what is gathered, then release the lease.

        Raises:
            WriterFailedError: The last commit failed (the lease is released all the same).
        """
        if self._closed:
            return
        self._closed = True
        try:
            if self.failed is None and self._pending:
                self._commit("close")
        finally:
            self._held.release()

    def _commit(self, what: str) -> None:
        if not self._pending:
            return
        try:
            self._held.check()  # a lost lease raises SessionLockedError, an OSError
            done = self.log.append(bytes(self._pending), base=self._version, fence=self._fence)
        except (ObjectStoreError, OSError) as error:
            self.failed = error
            raise WriterFailedError(f"{self.name}: {what} failed: {error}", cause=error) from error
        self._version = done.version
        self._pending.clear()

    def _check(self) -> None:
        if self.failed is not None:
            raise WriterFailedError(
                f"{self.name}: writer failed earlier: {self.failed}", cause=self.failed
            )
        if self._closed:
            raise WriterFailedError(f"{self.name}: writer is closed")
