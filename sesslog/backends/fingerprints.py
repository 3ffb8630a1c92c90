"""Cheap digests that stand for a prefix of a log: the first and last 64 KiB of it.

Hashing a whole session on every open would cost as much as reading it. Instead a prefix of
``size`` bytes is identified by the SHA-256 of its first and last :data:`EDGE_SIZE` bytes (its
*edges*), read with two ``pread`` calls whatever the size: an append-only log that only grew
keeps the edges of its old prefix, and a rewrite almost always changes them. Callers that need
certainty hash every byte (``sesslog migrate``'s verification does).
"""

from __future__ import annotations

import os

__all__ = ["EDGE_SIZE", "edges_of_bytes", "edges_of_descriptor", "edges_of_file", "sha256_hex"]

#: Bytes hashed at each end of a prefix.
EDGE_SIZE = 64 * 1024


def sha256_hex(data: bytes | memoryview) -> str:
    """``sha256:<hex digest>`` of ``data``."""
    import hashlib  # here: a read that checks no fingerprint does not load OpenSSL

    return "sha256:" + hashlib.sha256(data).hexdigest()


def edges_of_bytes(data: bytes | bytearray | memoryview) -> str:
    """The edges digest of a prefix held in memory (all of ``data``)."""
    n = min(EDGE_SIZE, len(data))
    return sha256_hex(bytes(data[:n]) + bytes(data[len(data) - n :]))


def edges_of_file(path: str | os.PathLike[str], size: int) -> str | None:
    """The edges digest of the first ``size`` bytes of a file (``None`` if it is shorter).

    Raises:
        OSError: The file cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return edges_of_descriptor(fd, size)
    finally:
        os.close(fd)


def edges_of_descriptor(fd: int, size: int) -> str | None:
    """The edges digest of the first ``size`` bytes of an open file (``None`` if shorter)."""
    n = min(EDGE_SIZE, size)
    head = os.pread(fd, n, 0)
    tail = os.pread(fd, n, size - n)
    if len(head) != n or len(tail) != n:
        return None
    return sha256_hex(head + tail)
