"""Entry records kept as columns, a :class:`~sesslog.format.records.Record` made only when asked.

A long session holds a hundred thousand lines; a Python object per line (with its id, parent
id and timestamp strings) costs as much time to make as decoding the envelopes does, and more
memory than the rest of the read. A :class:`RecordTable` keeps what the tree needs of every
entry in three columns (``types``, ``ids``, ``parents``; the types and most parent ids share
one string object with the others) and, for the lines of a clean file, only where each line
starts in the file's bytes. The :class:`Record` of a line (with its timestamp and label fields,
decoded from the line's envelope then) is made on first access and kept, so that the same entry
is always the same object, whichever table of the read it is reached through.

Rows that are records already (read by the careful path, upgraded from a legacy version,
appended by a writer) are held as they are.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast, overload

from sesslog.format.records import (
    ENVELOPE_DECODER,
    MessageHead,
    Record,
    message_heads_of_lines,
)

if TYPE_CHECKING:
    from sesslog.format.lines import FileBytes

__all__ = ["FileRows", "RecordTable", "RecordView"]

#: Lines whose envelopes an iteration decodes in one call.
_BLOCK = 1024


class FileRows:
    """The lines of one clean file, shared by every table made from its read.

    Args:
        data: The file's bytes, or a read-only mapping of the file.
        bounds: Where each entry line starts, then one past the last line's ending; the line of
            row ``r`` is ``data[bounds[r] : bounds[r + 1] - 1]`` and it is line ``r + 2`` of
            the file (the header is line 1).
    """

    __slots__ = ("bounds", "data", "made", "view")

    def __init__(self, data: FileBytes, bounds: array[int]) -> None:
        self.data = data
        self.view = memoryview(data)
        self.bounds = bounds
        #: The records made so far, by row.
        self.made: dict[int, Record] = {}

    def lines(self, row: int, count: int) -> memoryview:
        """The bytes of ``count`` lines from ``row`` on, each with its line ending."""
        bounds = self.bounds
        return self.view[bounds[row] : bounds[row + count]]

    def make(self, row: int, kind: Any, ident: Any, parent: Any, env: Any = None) -> Record:
        """The record of ``row`` (made once); ``env`` is its envelope when already decoded."""
        rec = self.made.get(row)
        if rec is not None:
            return rec
        start = self.bounds[row]
        end = self.bounds[row + 1] - 1
        if env is None:
            env = ENVELOPE_DECODER.decode(self.view[start:end])
        # A record only ever slices its data (Record.raw), which a mapping does as bytes do.
        data = cast(bytes, self.data)
        rec = Record(
            kind, ident, parent, env.timestamp, env.target_id, env.label, env.name,
            data, start, end, row + 2, start,
        )  # fmt: skip
        # The record another thread made meanwhile, if any, stays the only one.
        return self.made.setdefault(row, rec)


class _Records(Sequence[Record]):
    """What a table and a view share: equality with any list of the same records."""

    __slots__ = ()

    def _pick(self, positions: Sequence[int]) -> list[Record]:
        """The records at these positions (each within range)."""
        raise NotImplementedError

    def _one(self, position: int) -> Record:
        """The record at this position (within range)."""
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        size = len(self)
        if isinstance(index, slice):
            return self._pick(range(*index.indices(size)))
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("record index out of range")
        return self._one(index)

    def __eq__(self, other: object) -> bool:
        """Equal to a table, view, list or tuple of equal records in the same order."""
        if not isinstance(other, (_Records, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records)"


class RecordTable(_Records):
    """Entry records in file order, kept as columns.

    Indexing and iteration give :class:`Record` objects (made on demand); the columns answer the
    structural questions without making any.

    Attributes:
        types: Each entry's ``type``.
        ids: Each entry's id.
        parents: Each entry's parent id as written (``None`` for a root).
    """

    __slots__ = ("_file", "_more", "_rows", "ids", "parents", "types")

    def __init__(
        self,
        types: list[Any],
        ids: list[Any],
        parents: list[Any],
        file: FileRows | None = None,
        rows: Sequence[int] = range(0),
        more: list[Record] | None = None,
    ) -> None:
        self.types = types
        self.ids = ids
        self.parents = parents
        self._file = file
        self._rows = rows  # the file row of each of the first len(rows) entries
        self._more = more if more is not None else []  # the entries after them

    @classmethod
    def of(cls, records: Iterable[Record]) -> RecordTable:
        """A table holding these records."""
        if isinstance(records, RecordTable):
            return records.copy()
        more = list(records)
        return cls(
            [rec.type for rec in more],
            [rec.id for rec in more],
            [rec.parent_id for rec in more],
            more=more,
        )

    def copy(self) -> RecordTable:
        """A table of the same entries (the same record objects) that can change alone."""
        rows = self._rows if isinstance(self._rows, range) else list(self._rows)
        return RecordTable(
            self.types[:], self.ids[:], self.parents[:], self._file, rows, self._more[:]
        )

    def select(self, keep: Sequence[int]) -> RecordTable:
        """A table of the entries at these positions (ascending), the same record objects."""
        rows = self._rows
        split = len(rows)
        types, ids, parents = self.types, self.ids, self.parents
        return RecordTable(
            [types[i] for i in keep],
            [ids[i] for i in keep],
            [parents[i] for i in keep],
            self._file,
            [rows[i] for i in keep if i < split],
            [self._more[i - split] for i in keep if i >= split],
        )

    def append(self, rec: Record) -> None:
        """Add one entry at the end."""
        self._more.append(rec)
        self.types.append(rec.type)
        self.ids.append(rec.id)
        self.parents.append(rec.parent_id)

    def __len__(self) -> int:
        return len(self.ids)

    def _pick(self, positions: Sequence[int]) -> list[Record]:
        return self.records(positions)

    def _one(self, position: int) -> Record:
        return self.record_at(position)

    def record_at(self, index: int) -> Record:
        """The record at a position (within range)."""
        rows = self._rows
        if index >= len(rows):
            return self._more[index - len(rows)]
        assert self._file is not None
        return self._file.make(rows[index], self.types[index], self.ids[index], self.parents[index])

    def records(self, indices: Sequence[int]) -> list[Record]:
        """The records at these positions; the envelopes of the lines not made yet are decoded
        a run of adjacent lines per call."""
        file = self._file
        if file is not None:
            rows = self._rows
            made = file.made
            missing = sorted({i for i in indices if i < len(rows) and rows[i] not in made})
            types, ids, parents = self.types, self.ids, self.parents
            for run in self._runs(missing):
                envs = ENVELOPE_DECODER.decode_lines(file.lines(rows[run[0]], len(run)))
                for env, i in zip(envs, run, strict=True):
                    file.make(rows[i], types[i], ids[i], parents[i], env)
        return [self.record_at(i) for i in indices]

    def message_heads(self, indices: Sequence[int]) -> list[MessageHead | None]:
        """The :attr:`Record.message` of the entries at these positions, without making their
        records: the lines of a file are decoded a run of adjacent lines per call."""
        heads: dict[int, MessageHead | None] = {}
        file = self._file
        if file is not None:
            rows = self._rows
            types = self.types
            lines = sorted({i for i in indices if i < len(rows) and types[i] == "message"})
            for run in self._runs(lines):
                found = message_heads_of_lines(file.lines(rows[run[0]], len(run)))
                if found is not None and len(found) == len(run):
                    heads.update(zip(run, found, strict=True))
        return [heads[i] if i in heads else self.record_at(i).message for i in indices]

    def _runs(self, positions: list[int]) -> Iterator[list[int]]:
        """``positions`` (ascending, of file rows) cut into runs of adjacent file rows, at
        most :data:`_BLOCK` long."""
        rows = self._rows
        run = 0
        while run < len(positions):
            end = run + 1
            while (
                end < len(positions)
                and end - run < _BLOCK
                and rows[positions[end]] == rows[positions[end - 1]] + 1
            ):
                end += 1
            yield positions[run:end]
            run = end

    def view(self, indices: list[int]) -> RecordView:
        """The entries at these positions, as a sequence making records only when asked."""
        return RecordView(self, indices)

    def __iter__(self) -> Iterator[Record]:
        return _blocks(self, range(len(self.ids)))


class RecordView(_Records):
    """Some entries of a :class:`RecordTable` (a path, say), their records made when asked.

    Args:
        table: The table.
        indices: The entries' positions in ``table``.
    """

    __slots__ = ("indices", "table")

    def __init__(self, table: RecordTable, indices: list[int]) -> None:
        self.table = table
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def types(self) -> list[Any]:
        """The ``type`` of each entry, without making their records."""
        types = self.table.types
        return [types[i] for i in self.indices]

    def _pick(self, positions: Sequence[int]) -> list[Record]:
        indices = self.indices
        return self.table.records([indices[i] for i in positions])

    def _one(self, position: int) -> Record:
        return self.table.record_at(self.indices[position])

    def __iter__(self) -> Iterator[Record]:
        return _blocks(self.table, self.indices)


def _blocks(table: RecordTable, indices: Sequence[int]) -> Iterator[Record]:
    for first in range(0, len(indices), _BLOCK):
        yield from table.records(indices[first : first + _BLOCK])
