"""Which sessions to look at: a store-wide refresh without a ``stat`` of every file each time.

Looking at every session file's fingerprint costs one ``stat`` per file (about 20 ms of CPU
for 10,000 files, before the catalog answers anything). A refresh therefore looks at:

* **the folders**: the root and each ``--<cwd>--`` folder (one ``stat`` each). A file created,
  removed, renamed or replaced (an atomic rewrite, a symlink put in its place) changes its
  folder's modification time; the files of a folder whose time changed are all looked at;
* **the live sessions**: those whose file was modified in the last :data:`HOT_NS` (15 minutes)
  as the catalog last saw it, those a store opened to write in that time (by any process:
  :meth:`~sesslog.catalog.protocol.Catalog.watch` records it in the catalog), and those that
  could not be read; an agent appending to a session keeps it live, so its appends are seen
  on the next look;
* **everything**, when the last full look (by any process) is older than
  :data:`FULL_CHECK_NS` (5 seconds), and whenever the caller asks (``full=True``,
  ``sesslog catalog status``, a rebuild).

So an append by another program to a session that had been idle for 15 minutes (pi resuming an
old session) is seen at the latest by the first look more than 5 seconds after the last full
one; every other change is seen at once. A folder time within :data:`SETTLED_NS` of the present is not trusted
(a file system's clock ticks coarsely: a file added in the same tick after the look would not
change it), so such a folder is listed again on the next look.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping

from sesslog._lazy import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    from sesslog.catalog.files import FileStat, SessionFiles
    from sesslog.catalog.refresh import FoldSink
    from sesslog.catalog.types import RefreshReport

__all__ = [
    "FULL_CHECK_NS",
    "HOT_NS",
    "SETTLED_NS",
    "Stamp",
    "changed_folders",
    "folder_of",
    "full_look_due",
    "look",
    "stamps_of",
]

#: A session modified this recently (nanoseconds) is looked at on every refresh.
HOT_NS = 15 * 60 * 10**9
#: Every session is looked at when the last full look is older than this (nanoseconds).
FULL_CHECK_NS = 5 * 10**9
#: A folder modified this recently (nanoseconds) is listed again on the next look.
SETTLED_NS = 2 * 10**9

#: A folder as last listed: its modification time (-1: list it again) and inode.
Stamp = tuple[int, int]


if TYPE_CHECKING:

    class Listed(Protocol):
        """A folder as listed (a :class:`~sesslog.catalog.files.FolderStat`, or any object
        with its attributes)."""

        @property
        def name(self) -> str: ...
        @property
        def mtime_ns(self) -> int: ...
        @property
        def ino(self) -> int: ...

    class LookSink(FoldSink, Protocol):
        """A catalog's storage that remembers its looks."""

        def looked(self) -> tuple[int | None, dict[str, Stamp]]:
            """When the last full look started (Unix nanoseconds), and each folder's stamp."""
            ...

        def known_in(self, folders: Collection[str], hot_since: int) -> dict[str, FileStat]:
            """The fingerprints of the sessions held in ``folders``, of those modified or
            watched at or after ``hot_since``, and of those that could not be read."""
            ...

        def record_look(
            self, stamps: Mapping[str, Stamp], forget: Collection[str], full_at: int | None
        ) -> None:
            """Keep folder stamps, forget those of folders gone, and the time of a full look."""
            ...


def folder_of(key: str) -> str:
    """The folder of a session key (``""`` for a file in the root)."""
    slash = key.find("/")
    return "" if slash < 0 else key[:slash]


def stamps_of(folders: Iterable[Listed], now: int) -> dict[str, Stamp]:
    """The stamps to keep for ``folders`` listed at ``now`` (a folder modified too recently
    to be trusted gets -1: it is listed again on the next look)."""
    return {f.name: (f.mtime_ns if now - f.mtime_ns >= SETTLED_NS else -1, f.ino) for f in folders}


def full_look_due(last_full: int | None, now: int) -> bool:
    """Whether the next look must be at every session file (the last full one started at
    ``last_full``, or never)."""
    return last_full is None or not 0 <= now - last_full < FULL_CHECK_NS


def changed_folders(current: Mapping[str, Listed], stamps: Mapping[str, Stamp]) -> set[str]:
    """The folders whose files must all be looked at: those whose stamp differs from the one
    kept, and those gone."""
    changed = {name for name, f in current.items() if stamps.get(name) != (f.mtime_ns, f.ino)}
    return changed | (stamps.keys() - current.keys())


def look(
    files: SessionFiles, sink: LookSink, *, full: bool = False, now: int | None = None
) -> RefreshReport:
    """Refresh ``sink`` from what may have changed in ``files`` (see the module docstring).

    Args:
        files: The store's session files.
        sink: The catalog's storage.
        full: Look at every session file.
        now: The time (Unix nanoseconds; default: the clock).
    """
    from sesslog.catalog.refresh import fold_changes, refresh

    now = time.time_ns() if now is None else now
    folders = files.folders()
    if folders is None:
        return refresh(files, sink)
    last_full, stamps = sink.looked()
    current = {f.name: f for f in folders}
    if full or full_look_due(last_full, now):
        report = refresh(files, sink)
        sink.record_look(stamps_of(folders, now), stamps.keys() - current.keys(), now)
        return report
    changed = changed_folders(current, stamps)
    known = sink.known_in(changed, now - HOT_NS)
    stats: list[FileStat] = []
    for name in sorted(changed & current.keys()):
        stats += files.scan_folder(name)
    seen = {stat.key for stat in stats}
    for key in known:
        if key not in seen and folder_of(key) not in changed:
            stat = files.stat(key)
            if stat is not None:
                stats.append(stat)
                seen.add(key)
    gone = sorted(key for key in known if key not in seen)
    report = fold_changes(files, sink, stats, known, gone)
    if changed:
        fresh = stamps_of([current[name] for name in changed if name in current], now)
        sink.record_look(fresh, changed - current.keys(), None)
    return report
