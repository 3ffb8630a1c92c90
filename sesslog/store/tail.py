"""Follow a session file as it grows: every new entry once, in file order.

A :class:`SessionFollower` remembers how far it has read and which entry ids it has yielded.
Each :meth:`~SessionFollower.poll` reads only the bytes appended since, and copes with what a
live session file goes through:

* **a line in progress**: bytes after the last ``\\n`` wait until their line ends;
* **truncation** (a file cut short, or cut and grown again between two polls, which the last
  bytes read no longer matching gives away): reading starts again from the file's start, and
  entries already yielded are skipped by id;
* **replacement** (the name now points at another file: an atomic rewrite, a restore, an
  upgrade): the new file is read from its start, again skipping ids already yielded.

:func:`follow` and :func:`afollow` wrap a follower in a loop woken by ``watchfiles`` (watching
the file's folder, so a replaced file is seen too), with a periodic poll as a safety net.

Only lines with a string ``id`` are yielded (format versions 2 and 3); a line that cannot be
read is reported in :attr:`SessionFollower.diagnostics` with its line number and byte offset.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from sesslog.format.codec import Undecodable
from sesslog.format.diagnostics import Diagnostic, Reason, SessionOpenDiagnostics
from sesslog.format.records import Record, parse_record

__all__ = ["SessionFollower", "afollow", "follow"]

#: Milliseconds watchfiles waits for more changes before waking a follower.
_DEBOUNCE_MS = 100
_STEP_MS = 20
#: Milliseconds between polls when no change event arrives (a missed event costs this much).
_SAFETY_POLL_MS = 1000
_READ_CHUNK = 1 << 22
#: Bytes before the read position compared at each poll.
_ANCHOR = 64


class SessionFollower:
    """Reads what a session file gained since the last call.

    Args:
        path: The session file (it may not exist yet: it is picked up once created).

    Attributes:
        path: The session file.
        diagnostics: Lines that could not be read, with line number and byte offset, in the
            order met (a replaced file's lines count from its own start).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[str] = set()
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._offset = 0  # just past the last complete line consumed
        self._line = 0  # lines consumed from the current file
        self._anchor = b""  # the last bytes consumed, to notice a file rewritten in place

    def close(self) -> None:
        """Release the file descriptor (a later :meth:`poll` opens the file again)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> SessionFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(self) -> list[Record]:
        """Return the entries appended since the last call, in file order.

        Raises:
            OSError: The file exists but cannot be read (permissions, a directory...).
        """
        out: list[Record] = []
        if self._fd is not None:
            moved = self._moved()
            self._drain(out)  # what the old file gained before it was replaced
            if not moved:
                return out
        if self._open():
            self._drain(out)
        return out

    def _moved(self) -> bool:
        """True when the name now points at another file (or, for now, at none)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False  # removed for a moment while being replaced: keep reading the old one
        return (st.st_dev, st.st_ino) != self._identity

    def _open(self) -> bool:
        """Open the file the name points at now, reading from its start."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return False
        self.close()
        self._fd = fd
        st = os.fstat(fd)
        self._identity = (st.st_dev, st.st_ino)
        self._restart()
        return True

    def _drain(self, out: list[Record]) -> None:
        """Read the complete lines the open file gained."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size < self._offset or not self._anchored():
            self._restart()  # cut short or rewritten: read it again, skipping what was yielded
        while self._offset < size:
            chunk = os.pread(self._fd, min(size - self._offset, _READ_CHUNK), self._offset)
            if not chunk:
                break
            end = chunk.rfind(b"\n")
            if end == -1:
                if len(chunk) < _READ_CHUNK:
                    break  # a line in progress: wait for its end
                end = self._find_line_end(size)
                if end == -1:
                    break
                chunk = os.pread(self._fd, end - self._offset + 1, self._offset)
                end = len(chunk) - 1
            self._take(chunk[: end + 1], out)

    def _restart(self) -> None:
        self._offset = 0
        self._line = 0
        self._anchor = b""

    def _anchored(self) -> bool:
        """True when the bytes just before the read position are still those consumed (a file
        cut and grown again past that position between two polls is caught here)."""
        if not self._anchor:
            return True
        assert self._fd is not None
        start = self._offset - len(self._anchor)
        return os.pread(self._fd, len(self._anchor), start) == self._anchor

    def _find_line_end(self, size: int) -> int:
        """The offset of the next ``\\n`` at or after the read position, for a huge line."""
        assert self._fd is not None
        pos = self._offset
        while pos < size:
            chunk = os.pread(self._fd, min(size - pos, _READ_CHUNK), pos)
            if not chunk:
                return -1
            found = chunk.find(b"\n")
            if found != -1:
                return pos + found
            pos += len(chunk)
        return -1

    def _take(self, block: bytes, out: list[Record]) -> None:
        """Turn complete lines (``block`` ends with ``\\n``) into records."""
        start = 0
        base = self._offset
        while start < len(block):
            end = block.index(b"\n", start)
            self._line += 1
            raw = block[start:end]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            self._one(raw, self._line, base + start, out)
            start = end + 1
        self._offset = base + len(block)
        self._anchor = block[-_ANCHOR:]

    def _one(self, raw: bytes, line: int, offset: int, out: list[Record]) -> None:
        if not raw.strip(b" \t\x00"):
            return
        if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        rec = parse_record(raw)
        if isinstance(rec, Undecodable):
            reason = Reason.TOO_DEEP if rec.too_deep else Reason.BAD_JSON
            self._report(line, offset, reason, f"{rec.detail}; skipped")
            return
        if isinstance(rec, str):
            self._report(line, offset, Reason.NOT_OBJECT, f"a JSON {rec}, not an object; skipped")
            return
        if rec.type == "session":
            return
        if type(rec.id) is not str or not rec.id:
            self._report(line, offset, Reason.MISSING_ID, "entry has no string 'id'; skipped")
            return
        if rec.id in self._seen:
            return
        self._seen.add(rec.id)
        rec.line = line
        rec.offset = offset
        out.append(rec)

    def _report(self, line: int, offset: int, reason: Reason, detail: str) -> None:
        found = SessionOpenDiagnostics(path=str(self.path))
        self.diagnostics.append(found.add(line, offset, reason, detail))


def _only(path: Path) -> object:
    name = path.name

    def keep(_change: object, changed: str) -> bool:
        return os.path.basename(changed) == name

    return keep


def _watching(target: Path, stop_event: object | None) -> dict[str, Any]:
    """The options of ``watchfiles.watch`` and ``awatch`` for following ``target``."""
    return {
        "watch_filter": _only(target),
        "debounce": _DEBOUNCE_MS,
        "step": _STEP_MS,
        "rust_timeout": _SAFETY_POLL_MS,
        "yield_on_timeout": True,
        "recursive": False,
        "stop_event": stop_event,
    }


def _last(records: list[Record], last: int | None) -> list[Record]:
    return records if last is None else records[max(0, len(records) - last) :]


def follow(
    path: str | os.PathLike[str],
    *,
    last: int | None = None,
    stop_event: threading.Event | None = None,
) -> Iterator[Record]:
    """Yield the session's entries, then every new one as it is appended, until stopped.

    Args:
        path: The session file.
        last: Start with only the last ``last`` entries already in the file (``None``: all).
        stop_event: Set it (from another thread) to end the iteration.

    Raises:
        KeyboardInterrupt: Ctrl-C while waiting (the iteration ends cleanly first).
        OSError: The file cannot be read.
    """
    import watchfiles

    target = Path(path)
    with SessionFollower(target) as follower:
        first = follower.poll()
        yield from _last(first, last)
        if stop_event is not None and stop_event.is_set():
            return
        for _changes in watchfiles.watch(target.parent, **_watching(target, stop_event)):
            yield from follower.poll()


async def afollow(
    path: str | os.PathLike[str],
    *,
    last: int | None = None,
    stop_event: object | None = None,
) -> AsyncIterator[Record]:
    """Like :func:`follow`, as an async iterator.

    Args:
        path: The session file.
        last: Start with only the last ``last`` entries already in the file (``None``: all).
        stop_event: An ``asyncio.Event`` (or anyio event) that ends the iteration when set.
    """
    import watchfiles

    target = Path(path)
    with SessionFollower(target) as follower:
        first = follower.poll()
        for rec in _last(first, last):
            yield rec
        async for _changes in watchfiles.awatch(target.parent, **_watching(target, stop_event)):
            for rec in follower.poll():
                yield rec
