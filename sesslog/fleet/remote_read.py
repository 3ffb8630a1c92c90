"""Reading the end of a session kept in a bucket without downloading the rest.

:func:`read_tail` fetches the manifest (one GET), then ranged GETs of only the last blocks of
the last segment, widening the range backwards (64 KiB, then four times more each round) until
it holds the number of whole lines asked for. Each block read is checked against its CRC-32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.format.records import Record, parse_record

__all__ = ["TailRead", "read_tail"]

_FIRST_SPAN = 64 * 1024


@dataclass
class TailRead:
    """The last entries of a session read from a bucket.

    Attributes:
        key: The session.
        records: The last lines that are JSON objects, in order (at most the number asked).
        offset: Where the first line read starts in the session.
        size: The session's size (whole lines; an unfinished last line is left out).
        fetched: Bytes fetched from the bucket (whole blocks, manifest not counted).
        skipped: Lines among the last ones that are not JSON objects (damage), as offsets.
    """

    key: str
    records: list[Record] = field(default_factory=list)
    offset: int = 0
    size: int = 0
    fetched: int = 0
    skipped: list[int] = field(default_factory=list)


def read_tail(remote: ObjectStoreBackend, key: str, count: int) -> TailRead:
    """The last ``count`` lines of session ``key`` (fewer when it is shorter), read by ranges.

    Raises:
        FileNotFoundError: No such session in the bucket.
        SegmentCorruptError: A block of the tail is damaged.
    """
    log = remote.log(key)
    version = log.load()
    if version.etag is None:
        raise FileNotFoundError(f"{remote.describe(key)}: no such log")
    manifest = version.manifest
    end = manifest.size - manifest.torn
    result = TailRead(key, size=end)
    span = _FIRST_SPAN
    while True:
        start = max(0, end - span)
        data = log.read(start, end, version=version).data
        result.fetched += len(data)
        first = 0 if start == 0 else data.find(b"\n") + 1
        lines = data[first:].count(b"\n")
        if lines >= count or start == 0:
            break
        span *= 4
    pieces = data[first:].split(b"\n")[:-1]
    at = start + first
    lines_at = []
    for piece in pieces:
        lines_at.append((at, piece))
        at += len(piece) + 1
    wanted = lines_at[len(lines_at) - min(count, len(lines_at)) :]
    for offset, piece in wanted:
        record = parse_record(piece.rstrip(b"\r"))
        if isinstance(record, Record):
            result.records.append(record)
        else:
            result.skipped.append(offset)
    result.offset = wanted[0][0] if wanted else end
    return result
