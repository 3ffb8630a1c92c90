"""Building pi entries from source records: ids, timestamps, usage and the kinds of entry
every importer writes.

Every entry an importer writes carries what it came from: a ``custom`` entry (a record with no
pi equivalent) holds the record's original JSON as its ``data``; any other entry lists the
original JSON of the records it was made from in an extra field, ``sourceRecords`` (pi keeps
fields it does not know). Records are embedded byte for byte.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import msgspec

from sesslog.format.codec import encode_raw
from sesslog.format.ids import id_problem
from sesslog.format.timestamps import iso_to_ms, ms_to_iso

__all__ = [
    "IMPORT_CUSTOM_TYPE",
    "META_CUSTOM_TYPE",
    "SOURCE_FIELD",
    "Clock",
    "custom_entry",
    "encode_entry",
    "hash_key",
    "make_usage",
    "message_entry",
    "plain_entry",
    "safe_id",
    "usage_sum",
]

#: ``customType`` of the metadata entries (partial objects; the last entry wins per key).
META_CUSTOM_TYPE = "sesslog.meta"
#: ``customType`` of the provenance entry appended to copied pi sessions.
IMPORT_CUSTOM_TYPE = "sesslog.import"
#: The entry field listing the source records an entry was made from.
SOURCE_FIELD = "sourceRecords"

_ENCODER = msgspec.json.Encoder()
_NAMESPACE = uuid.UUID("5b0f3f9e-6d4c-4f5e-9a41-0c8f2d7e9b13")
_EXACT_ISO = re.compile(r"\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-6]\d\.\d{3}Z\Z")
_EPOCH = "1970-01-01T00:00:00.000Z"


def safe_id(text: str) -> str:
    """``text`` when it follows the id rule (:func:`~sesslog.format.ids.check_id`: it names
    a file of the store), else a UUID derived from it (version 5: the same for the same text).
    """
    if id_problem(text) is None:
        return text
    return str(uuid.uuid5(_NAMESPACE, text))


def hash_key(raw: bytes | memoryview) -> str:
    """The id of a record that has none of its own: ``h`` and 16 hex digits of its hash."""
    return "h" + hashlib.blake2b(raw, digest_size=8).hexdigest()


class Clock:
    """Turns source timestamps into entry timestamps, keeping the last good one.

    A record without a usable timestamp takes the one before it (or the epoch at the start).
    Timestamps already written as pi writes them (``2026-01-05T10:00:00.123Z``) are kept as
    they are; others are normalised.
    """

    __slots__ = ("_ms", "iso")

    def __init__(self, start: str | None = None) -> None:
        self.iso = _EPOCH
        self._ms: int | None = 0
        if start is not None:
            self.seen(start)

    def seen(self, value: Any) -> None:
        """Take ``value`` as the current time when it is an ISO 8601 timestamp."""
        if type(value) is not str or value == self.iso:
            return
        if len(value) == 24 and _EXACT_ISO.match(value):
            self.iso = value
            self._ms = None  # worked out when asked for
            return
        ms = iso_to_ms(value)
        if ms is not None:
            self.iso = ms_to_iso(ms)
            self._ms = ms

    @property
    def known(self) -> bool:
        """True once a timestamp was seen."""
        return self.iso is not _EPOCH

    @property
    def ms(self) -> int:
        """The current time in Unix milliseconds."""
        if self._ms is None:
            self._ms = _exact_iso_ms(self.iso)
        return self._ms


def _exact_iso_ms(text: str) -> int:
    """Milliseconds of ``YYYY-MM-DDTHH:MM:SS.mmmZ``, with the day's start cached."""
    day = _DAYS.get(text[:10])
    if day is None:
        if len(_DAYS) > 4096:
            _DAYS.clear()
        day = _DAYS[text[:10]] = iso_to_ms(text[:10] + "T00:00:00.000Z") or 0
    return (
        day
        + int(text[11:13]) * 3_600_000
        + int(text[14:16]) * 60_000
        + int(text[17:19]) * 1000
        + int(text[20:23])
    )


_DAYS: dict[str, int] = {}


def plain_entry(kind: str, entry_id: str, parent_id: str | None, clock: Clock) -> dict[str, Any]:
    """The four fields every entry starts with, in pi's order."""
    return {"type": kind, "id": entry_id, "parentId": parent_id, "timestamp": clock.iso}


def custom_entry(
    entry_id: str, parent_id: str | None, clock: Clock, custom_type: str, raw: bytes | memoryview
) -> dict[str, Any]:
    """A ``custom`` entry holding a record's original JSON as its ``data``."""
    entry = plain_entry("custom", entry_id, parent_id, clock)
    entry["customType"] = custom_type
    entry["data"] = msgspec.Raw(raw)
    return entry


def message_entry(
    entry_id: str, parent_id: str | None, clock: Clock, message: dict[str, Any]
) -> dict[str, Any]:
    """A ``message`` entry (its ``sourceRecords`` are added by the caller)."""
    entry = plain_entry("message", entry_id, parent_id, clock)
    entry["message"] = message
    return entry


def encode_entry(entry: dict[str, Any]) -> bytes:
    """An entry as one line without its ending, its source records embedded byte for byte.

    Text holding a lone surrogate (an emoji cut in half in a source written by JavaScript) is
    written as an escape, as JavaScript writes it.
    """
    try:
        return _ENCODER.encode(entry)
    except UnicodeEncodeError:
        pass
    embedded = [
        key
        for key, value in entry.items()
        if isinstance(value, msgspec.Raw) or (key == SOURCE_FIELD and isinstance(value, list))
    ]
    head = encode_raw({k: v for k, v in entry.items() if k not in embedded})
    parts = [head[:-1]]
    for key in embedded:  # the fields holding source records come last
        value = entry[key]
        if isinstance(value, msgspec.Raw):
            body = bytes(value)
        else:
            body = b"[" + b",".join(bytes(raw) for raw in value) + b"]"
        parts.append(b',"' + key.encode() + b'":' + body)
    return b"".join(parts) + b"}"


def make_usage(input_: int, output: int, cache_read: int, cache_write: int) -> dict[str, Any]:
    """pi's ``usage`` object; costs are unknown to the source and written as zero."""
    return {
        "input": input_,
        "output": output,
        "cacheRead": cache_read,
        "cacheWrite": cache_write,
        "totalTokens": input_ + output + cache_read + cache_write,
        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0},
    }


def usage_sum(usages: list[dict[str, Any]]) -> dict[str, int]:
    """Totals of ``input``, ``output``, ``cacheRead`` and ``cacheWrite`` over pi usages."""
    keys = ("input", "output", "cacheRead", "cacheWrite")
    return {key: sum(int(u.get(key) or 0) for u in usages) for key in keys}
