"""Make text from session files safe to print on a terminal.

A transcript, a label, an entry id or a file name can hold bytes that a terminal obeys: ESC
sequences that move the cursor, clear the screen or retitle the window, C1 controls that some
terminals read as ESC, bidirectional overrides that make text read differently from what it is,
and lone surrogates that the output encoder refuses. Every human-readable line sesslog prints
goes through :func:`escape_text` (the renderers escape what they take from a session; the
command line escapes every line it prints once more), so such characters are shown as visible
escapes and never reach the terminal.

What is escaped, and how:

* ``\\n``, ``\\t`` and ``\\r`` as those two-character escapes (newline and tab are kept where a
  multi-line text is shown: ``multiline=True``);
* every other C0 control (U+0000-U+001F), DEL (U+007F) and every C1 control (U+0080-U+009F)
  as ``\\xNN``;
* lone surrogates (U+D800-U+DFFF), the bidirectional embedding, override and isolate controls
  (U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators (U+2028, U+2029) as
  ``\\uNNNN``.

A backslash is not doubled: the escapes are for reading, not for turning back into the text.

Documents (Markdown and HTML exports) use :func:`visible_text` instead: terminal colour codes
are dropped, other C0 controls shown as Unicode control pictures (``\x1b`` as ``␛``), and C1
controls, bidirectional controls and lone surrogates as U+FFFD.

This module imports nothing of sesslog but :mod:`sesslog._patterns`: every layer may use it
(the exporters of :mod:`sesslog.interop` do).
"""

from __future__ import annotations

import os
import re

from sesslog._patterns import LazyPattern

__all__ = ["escape_json", "escape_path", "escape_terminal", "escape_text", "visible_text"]

_OTHERS = "\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ONE_LINE = LazyPattern(f"[\x00-\x1f{_OTHERS}]")
_MULTI_LINE = LazyPattern(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")
#: What JSON text may still hold raw after an encoder escaped C0 controls: DEL, C1, the
#: separators and bidirectional controls (only ever inside strings).
_JSON_RAW = LazyPattern(f"[{_OTHERS}]")
_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
#: The only escape sequences sesslog itself prints: reset, bold, dim, red, green, yellow.
_SGR = LazyPattern("(\x1b\\[(?:0|1|2|31|32|33)m)")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_text(text: str, *, multiline: bool = False) -> str:
    """Show every character a terminal would obey as a visible escape.

    Args:
        text: Any text, lone surrogates included.
        multiline: Keep newlines and tabs (for a multi-line text shown as such).

    Returns:
        Text with no control character (other than newline and tab with ``multiline``), no
        lone surrogate and no bidirectional control; it always encodes as UTF-8.

    >>> escape_text("red \\x1b[31m alert\\x07")
    'red \\\\x1b[31m alert\\\\x07'
    >>> escape_text("two\\nlines\\ud83d")
    'two\\\\nlines\\\\ud83d'
    >>> escape_text("two\\nlines", multiline=True)
    'two\\nlines'
    """
    pattern = _MULTI_LINE if multiline else _ONE_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_visible, text)


def escape_terminal(text: str, *, keep_colors: bool) -> str:
    """Escape one line about to be printed, keeping sesslog's own color codes when asked.

    The renderers escape everything they take from a session before they add colors; with
    ``keep_colors`` the color codes sesslog uses (reset, bold, dim, red, green, yellow) pass and
    everything else is escaped as by :func:`escape_text` (newlines included: one line stays one
    line). Even text that reached a line unescaped can then at most be bold, dim or colored:
    never hidden, moved or retitled.

    Args:
        text: One line.
        keep_colors: Let SGR color sequences (``ESC [ ... m``) through.
    """
    if not keep_colors or "\x1b" not in text:
        return escape_text(text)
    parts = _SGR.split(text)
    return "".join(part if index % 2 else escape_text(part) for index, part in enumerate(parts))


def escape_json(text: str) -> str:
    """JSON text with every character a terminal would obey written as a ``\\uNNNN`` escape.

    JSON encoders escape C0 controls but may leave DEL, C1 controls, the line and paragraph
    separators and bidirectional controls raw inside strings; such JSON printed on a terminal
    could still drive it, and a reader splitting lines on U+2028 or U+0085 would cut it. The
    escaped text is the same JSON value.

    >>> escape_json('{"a":"x\u009b31my"}')
    '{"a":"x\\\\u009b31my"}'
    """
    if _JSON_RAW.search(text) is None:
        return text
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def escape_path(path: str | os.PathLike[str]) -> str:
    """A file name for people: bytes that are not UTF-8 as ``\\xNN``, controls escaped.

    >>> escape_path(b"/tmp/a\\xffb\\x1b.jsonl".decode("utf-8", "surrogateescape"))
    '/tmp/a\\\\xffb\\\\x1b.jsonl'
    """
    raw = os.fsencode(path)
    return escape_text(raw.decode("utf-8", "backslashreplace"))


_ANSI_SGR = LazyPattern("\x1b\\[[0-9;]*m")
_DOCUMENT_CONTROL = LazyPattern(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def visible_text(text: str) -> str:
    """``text`` for a document: terminal colour codes removed, other control characters shown
    as Unicode control pictures (``\\x1b`` becomes ``␛``), line ends as ``\\n``, and C1
    controls, bidi overrides (which can reorder what is shown) and lone surrogates (cut emoji)
    as U+FFFD, so that it shows as written and encodes as UTF-8.

    >>> visible_text("a\\x1b[31mred\\x1b[0m \\x07 b\\r\\n")
    'ared \u2407 b\\n'
    """
    text = _ANSI_SGR.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _DOCUMENT_CONTROL.sub(_picture, text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x7F:
        return "\u2421"
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"
