"""Sessions kept in memory, for tests and for callers that persist elsewhere.

Every byte lives in a :class:`~sesslog.backends.memory.MemoryBackend` (the storage seam's
in-memory backend): sessions are created, opened, appended to, trashed, restored and deleted
through it, and the catalog reads their bytes from it, as a folder store does through its
files.
"""

from __future__ import annotations

from collections.abc import Callable

from sesslog.backends.memory import MemoryBackend
from sesslog.store.backend import StoreFiles

__all__ = ["MemoryFiles"]


class MemoryFiles(StoreFiles):
    """Sessions in a memory backend, in pi's layout of keys (the same store code as a folder's,
    :class:`~sesslog.store.backend.StoreFiles`); each append is in the log when it returns.

    Args:
        clock: Unix milliseconds, for new sessions' headers and deletion times.
        backend: The memory backend (default: a new one).

    Attributes:
        backend: Where the sessions' bytes live.
    """

    backend: MemoryBackend

    def __init__(self, *, clock: Callable[[], int], backend: MemoryBackend | None = None) -> None:
        super().__init__(
            backend if backend is not None else MemoryBackend(),
            root=None,
            durability="strict",
            clock=clock,
            lock_wait=None,
        )

    def describe(self, key: str) -> str:
        """The key itself."""
        return key
