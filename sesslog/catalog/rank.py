"""Full-text matching without a database: phrases, BM25 as SQLite's FTS5 computes it, and
snippets, for the scanning catalog.

BM25 follows FTS5's ``bm25()`` (k1 = 1.2, b = 0.75): for each phrase of the query,
``idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avglen))`` summed, where ``f`` counts the
phrase in the document, ``len`` is the document's token count, ``avglen`` the mean over all
documents and ``idf = log((N - n + 0.5) / (n + 0.5))`` (at least 1e-6) with ``N`` documents of
which ``n`` hold the phrase.
"""

from __future__ import annotations

import math

from sesslog.catalog.query import TOKEN, tokenize

__all__ = ["bm25", "occurrences", "snippet"]

_K1 = 1.2
_B = 0.75
_WINDOW = 16


def occurrences(tokens: list[str], phrase: list[str]) -> list[int]:
    """Token positions where ``phrase`` starts in ``tokens``."""
    size = len(phrase)
    first = phrase[0]
    return [
        i for i, token in enumerate(tokens) if token == first and tokens[i : i + size] == phrase
    ]


def bm25(
    counts: list[int], length: int, mean_length: float, documents: int, holding: list[int]
) -> float:
    """The BM25 score of one document (higher is better).

    Args:
        counts: Occurrences of each phrase in the document.
        length: The document's token count.
        mean_length: Mean token count over all documents.
        documents: All documents.
        holding: For each phrase, how many documents hold it.
    """
    score = 0.0
    norm = _K1 * (1 - _B + _B * length / mean_length) if mean_length else _K1
    for count, n in zip(counts, holding, strict=True):
        idf = math.log((documents - n + 0.5) / (n + 0.5))
        idf = max(idf, 1e-6)
        score += idf * count * (_K1 + 1) / (count + norm)
    return score


def snippet(text: str, phrases: list[list[str]], open_mark: str, close_mark: str) -> str:
    """Up to 16 words of ``text`` around the matches, each match marked (a phrase of several
    words as one mark, as FTS5 does).

    The window is the one holding the most matched words (the earliest of equals).
    """
    spans = [m.span() for m in TOKEN.finditer(text)]
    tokens = tokenize(text)
    starts: dict[int, int] = {}
    for phrase in phrases:
        for start in occurrences(tokens, phrase):
            starts[start] = max(starts.get(start, start), start + len(phrase) - 1)
    marked = {i for start, last in starts.items() for i in range(start, last + 1)}
    if not spans:
        return text[:100]
    best_start, best_hits = 0, -1
    for start in range(max(1, len(spans) - _WINDOW + 1)):
        hits = sum(1 for i in marked if start <= i < start + _WINDOW)
        if hits > best_hits:
            best_start, best_hits = start, hits
    stop = min(len(spans), best_start + _WINDOW)
    out = ["…" if best_start > 0 else text[: spans[0][0]]]
    closing = -1
    for i in range(best_start, stop):
        begin, end = spans[i]
        if i in starts and closing < i:
            out.append(open_mark)
            closing = min(starts[i], stop - 1)
        out.append(text[begin:end])
        if i == closing:
            out.append(close_mark)
        following = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        if i + 1 < stop:
            out.append(text[end:following])
    out.append("…" if stop < len(spans) else text[spans[stop - 1][1] :])
    return "".join(out)
