"""Checks on the text callers hand the store: titles, tags and other metadata.

Metadata text may hold any character but control characters and the Unicode bidirectional
overrides (which would let a title rewrite a terminal line or disguise itself). Session ids,
which name files, follow sesslog's one id rule (:func:`sesslog.format.ids.check_id`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sesslog._patterns import LazyPattern
from sesslog.catalog.shapes import STATUSES
from sesslog.errors import InvalidMetadataError

__all__ = ["check_name", "check_status", "check_tags", "check_text"]

_CONTROL = LazyPattern("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TEXT_LIMIT = 10_000
_NAME_LIMIT = 200


def check_text(what: str, value: str, *, limit: int = _TEXT_LIMIT) -> str:
    """Return ``value`` when it is text sesslog stores as metadata.

    Raises:
        InvalidMetadataError: Not a string, too long, or holding a control character.
    """
    if not isinstance(value, str):
        raise InvalidMetadataError(f"{what} must be text, not {type(value).__name__}")
    found = _CONTROL.search(value)
    if found is not None:
        raise InvalidMetadataError(
            f"{what} {value[:40]!r} holds the control character U+{ord(found.group()):04X}"
        )
    if len(value) > limit:
        raise InvalidMetadataError(f"{what} is longer than {limit} characters")
    return value


def check_name(what: str, value: str) -> str:
    """A short, non-empty name (a title, a tag, a snapshot name): trimmed text without
    control characters, at most 200 characters."""
    text = check_text(what, value, limit=_NAME_LIMIT).strip()
    if not text:
        raise InvalidMetadataError(f"{what} is empty")
    return text


def check_tags(tags: Iterable[str]) -> list[str]:
    """Checked tags, duplicates dropped, in order."""
    if isinstance(tags, str):
        tags = [tags]
    return list(dict.fromkeys(check_name("tag", tag) for tag in tags))


def check_status(status: str) -> str:
    """Return ``status`` when it is one of ``active``, ``completed``, ``failed``,
    ``abandoned``."""
    if status not in STATUSES:
        raise InvalidMetadataError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    return status
