"""Full text for PostgreSQL in the catalog's own words: tsvector and tsquery literals built
from the tokenizer every catalog shares (:func:`sesslog.catalog.query.tokenize`).

PostgreSQL's text parser is not used: it keeps ``src/app/main.py`` as one "file" token, reads
``a.b`` as a host name, and in the ``C`` locale treats letters outside ASCII as separators.
Building the vector here makes a document's words and positions exactly those of the SQLite
catalog and the scanning fallback, so a search means the same thing in all three: every word
of the query must occur, a word with punctuation (a path, a dotted name) as the phrase of its
parts in order (``<->``).
"""

from __future__ import annotations

from sesslog.catalog.query import phrases, tokenize

__all__ = ["MAX_POSITION", "tsquery", "tsvector"]

#: PostgreSQL keeps word positions up to 16383; later words share that position.
MAX_POSITION = 16383
#: PostgreSQL's longest lexeme, in bytes.
_MAX_LEXEME = 2046
#: Positions PostgreSQL keeps per lexeme (the first ones are kept here).
_MAX_POSITIONS = 255


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _fits(token: str) -> bool:
    return len(token.encode("utf-8")) <= _MAX_LEXEME


def tsvector(text: str) -> str:
    """The ``tsvector`` literal of ``text``: each token with its positions (from 1)."""
    positions: dict[str, list[str]] = {}
    for number, token in enumerate(tokenize(text), start=1):
        at = positions.setdefault(token, [])
        if len(at) < _MAX_POSITIONS and _fits(token):
            at.append(str(min(number, MAX_POSITION)))
    return " ".join(f"{_quote(token)}:{','.join(at)}" for token, at in positions.items() if at)


def tsquery(text: str) -> str:
    """The ``tsquery`` literal of search text: its phrases joined by ``&`` (``""`` when the
    text has no word)."""
    parts = []
    for phrase in phrases(text):
        words = [_quote(token) for token in phrase if _fits(token)]
        if words:
            parts.append("(" + " <-> ".join(words) + ")")
    return " & ".join(parts)
