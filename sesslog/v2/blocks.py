"""An index part read block by block when first used, instead of read whole or mapped.

A load of part of a session (the end of its path, its tail) touches a few hundred KiB of an
index part of many MiB: the header, the facts, the frames, the last rows. :class:`BlockPart`
holds an anonymous mapping of the part's size (the operating system gives it memory only where
bytes are written; a ``bytearray`` would zero every page) and fills it :data:`BLOCK` bytes at a time from a ``read(start, end)``
function: ``pread`` on a local file, a ranged GET in a bucket. Each section and row read is
checked against its own crc32, as :class:`~sesslog.v2.index.IndexPart` does.

Reading instead of mapping keeps the memory such a load costs to the blocks it read, whatever
the page cache holds: a freshly written index part sits there in large folios, and a mapping
faults a whole folio in for one row.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator

from sesslog.v2.index import ROW, IndexPart, Row

__all__ = ["BLOCK", "BlockPart"]

#: Granularity of the reads of an index part.
BLOCK = 64 * 1024
_PREFIX = 16  # magic, header length, header crc32


class BlockPart(IndexPart):
    """An index part whose bytes are read block by block on first use.

    Args:
        read: Returns bytes ``start .. end`` of the part (all of them, or raises).
        size: The part's size in bytes (as the manifest lists it).
        file: The part's name in messages.

    Raises:
        SidecarCorruptError: The magic, the header or its checksum is wrong.
    """

    def __init__(self, read: Callable[[int, int], bytes], size: int, file: str) -> None:
        self._read = read
        self._buffer = mmap.mmap(-1, max(size, 1))
        self._size = size
        self._have: set[int] = set()
        self._ensure(0, _PREFIX)
        header_length = int.from_bytes(self._buffer[8:12], "little")
        self._ensure(0, _PREFIX + header_length)
        super().__init__(self._buffer, file)
        self._prefetch()

    def _prefetch(self) -> None:
        """Read at once the blocks a path's end needs: the session header, and the last rows
        (where the leaf is, usually); a small part whole."""
        if self._size <= 4 * BLOCK:
            self._ensure(0, self._size)
            return
        spans = []
        header = self.sections.get("header")
        if header is not None:
            spans.append((header.offset, header.offset + header.length))
        rows = self.sections["rows"]
        if rows.length:
            end = rows.offset + rows.length
            spans.append((max(rows.offset, end - BLOCK), end))
        self.read_spans(spans)

    def read_spans(self, spans: list[tuple[int, int]]) -> None:
        """Read the blocks of each span (one after the other here; a part in a bucket fetches
        them at once)."""
        for start, end in spans:
            self._ensure(start, end)

    def _ensure(self, start: int, end: int) -> None:
        """Read the blocks holding bytes ``start .. end`` not read yet (one read)."""
        end = min(end, self._size)
        if end <= start:
            return
        first_block, last_block = start // BLOCK, (end - 1) // BLOCK
        if first_block == last_block and first_block in self._have:
            return  # the usual case: a row in a block read already
        missing = [n for n in range(first_block, last_block + 1) if n not in self._have]
        if not missing:
            return
        first, last = missing[0] * BLOCK, min(self._size, (missing[-1] + 1) * BLOCK)
        self._buffer[first:last] = self._read(first, last)
        self._have.update(range(missing[0], missing[-1] + 1))

    def section(self, name: str, *, check: bool = True) -> memoryview | None:
        """The section's stored bytes, read first (see :meth:`IndexPart.section`)."""
        found = self.sections.get(name)
        if found is not None:
            self._ensure(found.offset, found.offset + found.length)
        return super().section(name, check=check)

    def row(self, number: int) -> Row:
        """One row, read first (see :meth:`IndexPart.row`)."""
        at = self.sections["rows"].offset + (number - self.header.first_entry) * ROW.size
        self._ensure(at, at + ROW.size)
        return super().row(number)

    def iter_rows(self) -> Iterator[tuple[int, Row | None]]:
        """Every row with its number, the rows section read first (see
        :meth:`IndexPart.iter_rows`)."""
        rows = self.sections["rows"]
        self._ensure(rows.offset, rows.offset + rows.length)
        return super().iter_rows()
