"""Pull: bring a session from a bucket back as a local JSONL file, byte for byte.

The session is found by its key or by its id (or a unique prefix of it, as pi's file names
``<time>_<id>.jsonl`` carry it), read with checked ranged GETs, and written under the local
sessions root at its key: a new file is born complete (written beside and linked into place);
a local file that is a prefix of the bucket's copy gets only the missing bytes appended; an
identical one is left alone; any other is refused. A damaged segment stops the pull, unless
``salvage`` is asked: then the whole segments are written and the damage is reported.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field

from sesslog.backends.local import LocalFolder
from sesslog.backends.objectstore.backend import TRASH_PREFIX, ObjectStoreBackend
from sesslog.catalog.files import file_id
from sesslog.errors import AmbiguousSessionError, SessionNotFoundError

__all__ = ["PullResult", "find_key", "pull"]

_MANIFEST = "/~manifest"


@dataclass
class PullResult:
    """What a pull did.

    Attributes:
        key: The session's key.
        path: The local file.
        status: ``created``, ``appended`` or ``current``.
        size: Bytes of the local file now.
        written: Bytes written to it.
        damage: Damaged segments left out (only with ``salvage``), as messages.
    """

    key: str
    path: str
    status: str
    size: int
    written: int
    damage: list[str] = field(default_factory=list)


def find_key(remote: ObjectStoreBackend, wanted: str) -> str:
    """The key of the session ``wanted`` names: a key, an id or a unique prefix of an id.

    Raises:
        SessionNotFoundError: No session in the bucket matches.
        AmbiguousSessionError: Several do.
    """
    keys = [
        info.key[: -len(_MANIFEST)]
        for info in remote.bucket.list("")
        if info.key.endswith(_MANIFEST) and not info.key.startswith(f"{TRASH_PREFIX}/")
    ]
    if wanted in keys:
        return wanted
    matches = [key for key in keys if file_id(key).startswith(wanted)]
    exact = [key for key in matches if file_id(key) == wanted]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise SessionNotFoundError(f"{remote.bucket.where()}: no session {wanted!r}")
    raise AmbiguousSessionError(wanted, matches)


def pull(
    remote: ObjectStoreBackend, wanted: str, local: LocalFolder, *, salvage: bool = False
) -> PullResult:
    """Bring the session ``wanted`` (a key, an id or an id prefix) to ``local``.

    Raises:
        SessionNotFoundError: No such session in the bucket.
        SegmentCorruptError: A segment is damaged (without ``salvage``); nothing was written.
        FileExistsError: The local file holds other bytes than the bucket's copy.
    """
    key = find_key(remote, wanted)
    result = remote.read_checked(key, skip_damaged=salvage)
    data = result.data
    path = str(local.root / key)
    damage = [str(error) for error in result.damage]
    try:
        have = local.stat(key).size
    except FileNotFoundError:
        local.create(key, data).close()
        return PullResult(key, path, "created", len(data), len(data), damage)
    if have > len(data) or local.read(key, 0, have) != data[:have]:
        raise FileExistsError(f"{path}: exists with other bytes than {remote.describe(key)}")
    if have == len(data):
        return PullResult(key, path, "current", have, 0, damage)
    if have and data[have - 1 : have] != b"\n":
        raise FileExistsError(f"{path}: ends inside a line; move it away to pull {key}")
    with closing(local.open_writer(key)) as writer:
        writer.write_lines(data[have:], sync=True, end=b"")
    return PullResult(key, path, "appended", len(data), len(data) - have, damage)
