"""What a read checks once a file's lines are framed: the header (version, session id), every
entry's id, and the in-memory upgrade of legacy (v1, v2) entries. Used by
:mod:`sesslog.format.reader`; never raises on damage, reports it."""

from __future__ import annotations

import itertools
from typing import Any

from sesslog.errors import FormatError
from sesslog.format.codec import Undecodable, decode_value, encode_line
from sesslog.format.diagnostics import Reason, SessionOpenDiagnostics, shown
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.ids import id_problem
from sesslog.format.records import Record, record_from_line
from sesslog.format.upgrade import upgrade_objects

__all__ = ["TOO_DEEP_DETAIL", "check_header", "check_ids", "upgrade_records"]

#: The detail of a ``too_deep`` diagnostic.
TOO_DEEP_DETAIL = (
    "JSON nested deeper than the decoder can follow (Python's recursion limit); line skipped"
)


def check_header(
    header: dict[str, Any] | None,
    header_raw: bytes | None,
    records: list[Record],
    diag: SessionOpenDiagnostics,
    *,
    ids_checked: bool = False,
) -> int:
    """Validate the header, report problems, and return the file's format version.

    Args:
        header: The decoded header, or ``None`` when line 1 is no header.
        header_raw: The header's bytes.
        records: The entries read (those without a string id are dropped and reported).
        diag: Where problems are reported.
        ids_checked: Every record is known to have a non-empty string id (the fast path).
    """
    if header is None:
        diag.read_only = True
        if records:
            first = records[0]
            diag.add(
                first.line,
                first.offset,
                Reason.BAD_HEADER,
                "first line is not a session header; the file opens read-only",
            )
            if type(first.id) is not str:
                return 1
            check_ids(records, diag)
            return SESSION_VERSION
        diag.add(1, 0, Reason.BAD_HEADER, "no session header")
        return SESSION_VERSION
    version = header.get("version", 1)
    if type(version) is not int or version < 1:
        detail = f"header version {shown(version)} is not a known version"
        diag.add(1, 0, Reason.BAD_HEADER, detail)
        return SESSION_VERSION
    if version > SESSION_VERSION:
        diag.read_only = True
        diag.add(
            1,
            0,
            Reason.UNKNOWN_VERSION,
            f"format version {shown(version)} is newer than {SESSION_VERSION}; opened read-only",
        )
        return version
    if "id" in header and not isinstance(header["id"], str):
        diag.add(1, 0, Reason.BAD_HEADER, "header 'id' is not a string")
    elif "id" in header and (problem := id_problem(header["id"])) is not None:
        detail = f"session id {shown(header['id'])} {problem}; read, never used in a path"
        diag.add(1, 0, Reason.INVALID_ID, detail)
    if version >= 2 and not ids_checked:
        check_ids(records, diag)
    return version


def check_ids(records: list[Record], diag: SessionOpenDiagnostics) -> None:
    """Drop the records without a non-empty string id, one diagnostic per line."""
    bad = [rec for rec in records if type(rec.id) is not str or not rec.id]
    if not bad:  # the common case, kept to one quick pass
        return
    # Glued records split apart share a line: one diagnostic per line says how many.
    for _, group in itertools.groupby(bad, key=lambda rec: rec.line):
        same_line = list(group)
        first, count = same_line[0], len(same_line)
        what = "entry has" if count == 1 else f"{count} entries on this line have"
        diag.add(first.line, first.offset, Reason.MISSING_ID, f"{what} no string 'id'")
    dropped = {id(rec) for rec in bad}
    records[:] = [rec for rec in records if id(rec) not in dropped]


def upgrade_records(
    version: int, header: dict[str, Any], records: list[Record], diag: SessionOpenDiagnostics
) -> tuple[dict[str, Any], list[Record]]:
    """Upgrade legacy records (version 1 or 2) in memory; ``source`` keeps each line as
    written. Returns the upgraded header and records."""
    taken: list[Record] = []
    objects: list[dict[str, Any]] = []
    for rec in records:
        value = decode_value(rec.raw)
        if isinstance(value, dict):
            taken.append(rec)
            objects.append(value)
        elif isinstance(value, Undecodable) and value.too_deep:
            # Only a line nested near the recursion limit decodes in one place and not here.
            diag.add(rec.line, rec.offset, Reason.TOO_DEEP, TOO_DEEP_DETAIL)
        else:  # pragma: no cover - the reader took it as an object
            diag.add(rec.line, rec.offset, Reason.BAD_JSON, "entry no longer decodes")
    new_header, new_objects = upgrade_objects(version, header, objects)
    upgraded: list[Record] = []
    for rec, old, obj in zip(taken, objects, new_objects, strict=True):
        if obj is old:
            upgraded.append(rec)
            continue
        try:
            raw = encode_line(obj)[:-1]
        except FormatError as exc:
            diag.add(rec.line, rec.offset, Reason.TOO_DEEP, f"upgraded entry not written: {exc}")
            continue
        new = record_from_line(raw)
        if new is None:  # pragma: no cover - encode_line always yields an object
            continue
        new.line = rec.line
        new.offset = rec.offset
        new.source = rec.raw if rec.source is None else rec.source
        upgraded.append(new)
    return new_header, upgraded
