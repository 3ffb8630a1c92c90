"""Finding the complete records in a line where records were glued together (``…}{…``).

The reader reports such a line as ``glued_records`` and, in ``salvage`` mode, keeps each
complete record found here. The search decodes with the standard library (whose decoder reports
where a value ends) in doubling windows, within a work budget linear in the line's length, so no
line, however hostile, makes it quadratic.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from sesslog._patterns import LazyPattern
from sesslog.format.codec import stdlib_decoder

__all__ = ["glued_spans", "split_glued"]

_GLUE_START = '{"type":'
_SPACE = LazyPattern(r"[ \t\r\n]*")
#: split_glued gives up once its decoders have gone over this many characters per character
#: of the line (plus a fixed allowance): hostile lines cannot make it quadratic.
_GLUE_WORK_PER_CHAR = 8
_GLUE_WORK_EXTRA = 1 << 20
#: The first window a candidate record is decoded in; it doubles while the record goes on.
_GLUE_WINDOW = 512


def split_glued(raw: bytes, limit: int | None = None) -> list[tuple[int, int]]:
    """Find the complete records in a line where records were glued together.

    A piece counts when it is a JSON object with a ``type`` that is followed by the end of the
    line or by another ``{``: objects nested inside a torn record are followed by ``,`` or
    ``]`` and do not count. Candidates start at the first ``{`` and at each ``{"type":``.

    The work is linear in the line's length, whatever it holds: once the decoders have gone
    over eight times the line (plus 1 MiB), the search stops with the pieces found so far.

    Args:
        raw: One line's bytes.
        limit: Stop after this many records (``None``: find them all).

    Returns:
        ``(start, stop)`` byte spans of the complete records, in order. A torn record followed
        by a complete one yields just the complete one.
    """
    return list(itertools.islice(glued_spans(raw), limit))


def glued_spans(raw: bytes) -> Iterator[tuple[int, int]]:
    """The spans of :func:`split_glued`, found one at a time (a read that only counts them
    stops early)."""
    # Latin-1 gives one character per byte, so positions are byte offsets; bytes of UTF-8
    # sequences (0x80 and up) are plain characters inside JSON strings either way.
    text = raw.decode("latin-1")
    size = len(text)
    budget = _GLUE_WORK_PER_CHAR * size + _GLUE_WORK_EXTRA
    index = text.find("{")
    while index != -1 and budget > 0:
        value, stop, work = _value_at(text, index)
        budget -= work
        if stop == -1:
            index = text.find(_GLUE_START, index + 1)
            continue
        after = stop
        if stop < size and text[stop] != "{":
            after = _SPACE.match(text, stop).end()  # type: ignore[union-attr]  # "*" matches
        if isinstance(value, dict) and "type" in value and (after == size or text[after] == "{"):
            yield index, stop
            index = text.find("{", stop)
        else:
            index = text.find(_GLUE_START, index + 1)


def _value_at(text: str, index: int) -> tuple[Any, int, int]:
    """Decode the JSON value that starts at ``text[index]``.

    The standard library's errors cost time in proportion to their position in the text
    (they count the lines before it), so each try decodes a window starting at ``index``,
    doubled for as long as the value may go on past it.

    Returns:
        ``(value, stop, work)``: the value and the index just past it (``stop`` is -1 when
        no complete value starts there), and how many characters the tries decoded.
    """
    size = len(text)
    width = _GLUE_WINDOW
    work = 0
    while True:
        end = min(size, index + width)
        window = text[index:end]
        try:
            value, stop = stdlib_decoder().raw_decode(window)
        except json.JSONDecodeError as exc:
            # Near the window's end, or in a string still open there, the cut may be to blame.
            cut = exc.pos >= len(window) - 8 or exc.msg.startswith("Unterminated string")
            if end == size or not cut:
                return None, -1, work + exc.pos + 1
            work += len(window)
        except (RecursionError, ValueError):  # nested too deep, or a number too long
            return None, -1, work + len(window)
        else:
            return value, index + stop, work + stop
        width *= 2
