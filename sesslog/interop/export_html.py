"""Export a session as one self-contained HTML page: a viewer with the whole tree.

The page loads nothing: its style sheet and script are inline, images are data URLs, and a
Content-Security-Policy in the page forbids everything else (no network, no other script).
The session travels in a ``<script>`` data block: by default as gzip-compressed JSON in base64
(type ``application/x-sesslog-gzip-base64``), which the page inflates with the browser's own
``DecompressionStream``; with ``compress=False`` as JSON (type ``application/json``), every
``<`` in it written as ``\\u003c``. Either way no text of the transcript can end the block or
start markup; the script renders what is visible from that data, setting text only through
``textContent``. See ``docs/export.md`` for how it renders lazily and for the security model.

Building the page decodes no entry: the entries' lines are joined as they are stored and the
result is checked to be JSON a browser reads (one fast validating pass); only a line that is
not (bytes that are not UTF-8, say) is written again, as standard JSON (a number beyond a
double, which Python reads as an infinity, then as ``null``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import msgspec

from sesslog.format.codec import dumps_json
from sesslog.format.records import Record
from sesslog.interop.export_common import SNAPSHOT_CUSTOM_TYPE, session_metadata
from sesslog.render.escape import visible_text
from sesslog.session import Session

__all__ = ["GZIP_BASE64", "content_security_policy", "export_html"]

#: The type of the data block holding gzip-compressed JSON in base64.
GZIP_BASE64 = "application/x-sesslog-gzip-base64"
_DATA_MARK = "{{DATA}}"
_GZIP_LEVEL = 2  # deflate's fast mode: a third of the JSON's size, at 100 MB/s and more
_JSON_CHECK = msgspec.json.Decoder(list[msgspec.Raw])


class _Assets:
    """The viewer's template, style sheet and script, and their CSP hashes."""

    def __init__(self) -> None:
        folder = resources.files("sesslog.interop") / "html"
        self.template = (folder / "viewer.html").read_text(encoding="utf-8")
        self.style = (folder / "viewer.css").read_text(encoding="utf-8")
        self.script = (folder / "viewer.js").read_text(encoding="utf-8")
        for name, text in (("viewer.css", self.style), ("viewer.js", self.script)):
            if "</" in text:
                raise RuntimeError(f"{name} must not contain '</' (it is inlined)")
        self.csp = content_security_policy(self.script, self.style)


@lru_cache(maxsize=1)
def _assets() -> _Assets:
    return _Assets()


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    """The page's policy: nothing may load or run except the page's own script and style
    sheet (allowed by hash) and ``data:`` images; Trusted Types forbid HTML sinks."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {_sha256_source(script)}",
            f"style-src {_sha256_source(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


def export_html(
    session: Session,
    *,
    leaf_id: str | None = None,
    title: str | None = None,
    compress: bool = True,
) -> bytes:
    """Render the whole session as one self-contained HTML page (UTF-8 bytes).

    Args:
        session: The session.
        leaf_id: The entry whose branch the page shows first (default: the leaf).
        title: The page title (default: the session's name, else its id).
        compress: Embed the session gzip-compressed (about a third of the size; the page
            needs a browser with ``DecompressionStream``: Chromium 80, Firefox 113, Safari
            16.4 or later); ``False`` embeds it as plain JSON.

    Raises:
        EntryNotFoundError: ``leaf_id`` is not in the session.
    """
    tree = session.tree
    start = tree.ids[tree.get(leaf_id).id] if leaf_id is not None else len(tree) - 1
    meta = session_metadata(session)
    meta["title"] = title or meta["name"] or f"Session {meta['id']}"
    meta["header"] = session.header
    meta["snapshotType"] = SNAPSHOT_CUSTOM_TYPE
    parents, forks = _structure(session)
    head = {"meta": _finite(meta), "leaf": start, "parents": parents, "forks": forks}
    data = b"".join(
        [dumps_json(head).encode("utf-8")[:-1], b',"entries":', _entries_json(tree.entries), b"}"]
    )
    if compress:
        data, data_type = base64.b64encode(gzip.compress(data, _GZIP_LEVEL, mtime=0)), GZIP_BASE64
    else:
        data, data_type = _script_safe(data), "application/json"
    assets = _assets()
    page = assets.template.replace("{{CSP}}", html.escape(assets.csp))
    page = page.replace("{{TITLE}}", html.escape(_one_line(meta["title"])))
    page = page.replace("{{STYLE}}", assets.style).replace("{{SCRIPT}}", assets.script)
    page = page.replace("{{DATA_TYPE}}", data_type)
    before, after = page.split(_DATA_MARK)
    return before.encode("utf-8") + data + after.encode("utf-8")


def _structure(session: Session) -> tuple[list[int], dict[str, list[int]]]:
    """Each entry's tree parent (its index in file order, -1 for a root), and the ordered
    children of every entry with more than one (the tree's order: oldest first)."""
    tree = session.tree
    get = tree.ids.get
    parents = [get(rec.parent_id, -1) if type(rec.parent_id) is str else -1 for rec in tree]
    counts: dict[int, int] = {}
    for index, parent in enumerate(parents):
        if parent >= index:  # a self-parent or a link forward, maybe a broken cycle: ask the tree
            up = tree.parent_of(tree.entries[index].id)
            parent = parents[index] = -1 if up is None else tree.ids[up]
        if parent != -1:
            counts[parent] = counts.get(parent, 0) + 1
    entries = tree.entries
    forks = {
        str(index): [tree.ids[child] for child in tree.children(entries[index].id)]
        for index, count in counts.items()
        if count > 1
    }
    return parents, forks


def _entries_json(records: Sequence[Record]) -> bytes:
    """The entries as one JSON array that ``JSON.parse`` accepts (valid UTF-8, standard JSON)."""
    blob = b"[" + b",".join([rec.raw for rec in records]) + b"]"
    if _browser_safe(blob):
        return blob
    return b"[" + b",".join([_browser_json(rec) for rec in records]) + b"]"


def _browser_safe(blob: bytes) -> bool:
    """True when ``blob`` is standard JSON in valid UTF-8 (msgspec skips strings unchecked)."""
    try:
        _JSON_CHECK.decode(blob)
        if not blob.isascii():
            blob.decode("utf-8")
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return True


def _browser_json(rec: Record) -> bytes:
    if _browser_safe(b"[" + rec.raw + b"]"):
        return rec.raw
    return dumps_json(_finite(rec.decode())).encode("utf-8")


def _finite(value: Any) -> Any:
    """``value`` with ``NaN`` and infinities (not JSON) as ``null``."""
    if isinstance(value, float):
        return value if value - value == 0 else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _script_safe(json_bytes: bytes) -> bytes:
    """JSON text that cannot end a ``<script>`` block nor open a comment inside it: every
    ``<`` (which JSON only allows inside strings) becomes ``\\u003c``."""
    return json_bytes.replace(b"<", b"\\u003c")


def _one_line(value: Any) -> str:
    return " ".join(visible_text(str(value)).split())
