"""Whether a projection made from some bytes of a log still stands for the log as it is now.

A projection records the :class:`~sesslog.backends.protocol.Fingerprint` of the bytes it was made
from. :func:`compare` checks it against the log with the backend's cheap fingerprint (for local
files: one ``fstat`` and two reads of 64 KiB, whatever the size) and says one of:

* ``fresh``: same size, same prefix digest, same version: the projection holds the log;
* ``grew``: the log has more bytes after the prefix held, which still looks the same: a
  projection can catch up by reading only ``log[fingerprint.size:]``;
* ``unconfirmed``: same size and prefix digest, but the log was written, replaced or touched
  since: only reading every byte can tell, so the log is read instead until the projection
  records the new version;
* ``changed``: shorter, or the prefix differs: the projection must be rebuilt;
* ``missing``: no log.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from sesslog.backends.protocol import Fingerprint, LogBackend

__all__ = ["Freshness", "compare"]


class Freshness(msgspec.Struct, frozen=True):
    """How a projection compares with its log (see :func:`compare`).

    Attributes:
        state: ``fresh``, ``grew``, ``unconfirmed``, ``changed`` or ``missing``.
        reason: Why it is not fresh (``None`` when it is).
        size: The log's size now (``None`` when missing).
    """

    state: Literal["fresh", "grew", "unconfirmed", "changed", "missing"]
    reason: str | None = None
    size: int | None = None


def compare(
    backend: LogBackend, key: str, held: Fingerprint, *, what: str = "the session file"
) -> Freshness:
    """Compare the fingerprint a projection recorded with the log ``key`` as it is now.

    Args:
        backend: Where the log lives.
        key: The log.
        held: The fingerprint of the bytes the projection was made from.
        what: How reasons name the log.
    """
    try:
        now = backend.fingerprint(key)
    except FileNotFoundError:
        return Freshness("missing", f"{what} is missing")
    size = now.size
    if size < held.size:
        return Freshness(
            "changed", f"{what} has {size} bytes, fewer than the {held.size} held", size
        )
    if size > held.size:
        if not backend.prefix_matches(key, held):
            return Freshness("changed", f"{what}'s bytes differ from those held", size)
        return Freshness("grew", f"{what} grew by {size - held.size} bytes", size)
    if now.prefix != held.prefix:
        return Freshness("changed", f"{what}'s bytes differ from those held", size)
    if now.version != held.version:
        return Freshness(
            "unconfirmed",
            f"{what} was touched since the projection was written (its bytes must be "
            "checked again)",
            size,
        )
    return Freshness("fresh", None, size)
