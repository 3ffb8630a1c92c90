"""The HTML page without a browser: its policy, the embedded data and its safety."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from export_samples import branched_session

from sesslog import Session
from sesslog.interop.export_html import GZIP_BASE64, export_html

SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)
DATA = re.compile(rb'<script type="application/json" id="sesslog-data">(.*?)</script>', re.DOTALL)
PACKED = re.compile(
    rb'<script type="application/x-sesslog-gzip-base64" id="sesslog-data">(.*?)</script>', re.DOTALL
)
CSP = re.compile(rb'http-equiv="Content-Security-Policy" content="([^"]*)"')


def page_of(tmp_path: Path, data: bytes, **options: Any) -> bytes:
    """The page of a session, its data as plain JSON unless ``compress=True`` is given."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(data)
    options.setdefault("compress", False)
    return export_html(Session.open(path, read_only=True), **options)


def strict_json(text: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def sha256_source(text: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text).digest()).decode() + "'"


def test_policy_allows_only_the_pages_own_script_and_style(tmp_path: Path, lines: Any) -> None:
    page = page_of(tmp_path, branched_session(lines))
    policy = CSP.search(page).group(1).decode().replace("&#x27;", "'")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == sha256_source(SCRIPT.search(page).group(1))
    assert directives["style-src"] == sha256_source(STYLE.search(page).group(1))
    assert directives["img-src"] == "data:"
    assert "unsafe" not in policy
    # The policy comes before anything it governs.
    assert page.index(b"Content-Security-Policy") < page.index(b"<style>") < page.index(b"<script")


def test_embedded_entries_are_the_sessions(tmp_path: Path, lines: Any) -> None:
    data = branched_session(lines)
    page = page_of(tmp_path, data, leaf_id="b1")
    embedded = strict_json(DATA.search(page).group(1))
    session = Session.open(tmp_path / "s.jsonl", read_only=True)
    assert embedded["entries"] == [rec.decode() for rec in session.tree]
    ids = [rec.id for rec in session.tree]
    assert embedded["leaf"] == ids.index("b1")
    assert [ids[p] if p >= 0 else None for p in embedded["parents"]] == [
        session.tree.parent_of(i) for i in ids
    ]
    fork = str(ids.index("t1"))
    assert [ids[i] for i in embedded["forks"][fork]] == session.tree.children("t1")
    assert embedded["meta"]["labels"] == {"a1": "checkpoint-one"}


def test_data_cannot_close_its_script_block(tmp_path: Path, lines: Any) -> None:
    text = "</script><script>alert(1)</script> </SCRIPT> <!-- x --> <\u2028"
    page = page_of(tmp_path, lines.session(lines.user("u1", None, text)))
    block = DATA.search(page).group(1)
    assert b"<" not in block
    assert strict_json(block)["entries"][0]["message"]["content"] == text


def test_lines_a_browser_cannot_parse_are_rewritten(tmp_path: Path, lines: Any) -> None:
    """Bytes that are not UTF-8 give a page that parses: such a line is written again as
    standard JSON, a number beyond a double in it as null; a line that is JSON as it stands
    (``1e400`` is, read as Infinity like ``JSON.parse`` reads it) is kept as written. (The NaN
    and Infinity literals are not JSON: the reader skips such lines.)"""
    big_number = b'{"type":"custom","id":"c1","parentId":null,"timestamp":"2026-01-05T00:00:01.000Z","customType":"x","data":{"v":1e400}}\n'
    bad_bytes = b'{"type":"custom","id":"c2","parentId":"c1","timestamp":"2026-01-05T00:00:02.000Z","customType":"\xff\xfe","data":{"v":-1e400}}\n'
    page = page_of(tmp_path, lines.header() + big_number + bad_bytes)
    page.decode("utf-8")
    assert b'"data":{"v":1e400}' in page
    entries = strict_json(DATA.search(page).group(1))["entries"]
    assert entries[0]["data"] == {"v": math.inf}
    assert entries[1]["customType"] == "\ufffd\ufffd"
    assert entries[1]["data"] == {"v": None}


def test_empty_session_and_unknown_leaf(tmp_path: Path, lines: Any) -> None:
    page = page_of(tmp_path, lines.header())
    assert strict_json(DATA.search(page).group(1))["entries"] == []
    from sesslog.errors import EntryNotFoundError

    with pytest.raises(EntryNotFoundError):
        page_of(tmp_path, branched_session(lines), leaf_id="nope")


def test_compressed_data_is_the_same_json(tmp_path: Path, lines: Any) -> None:
    """The default page carries the plain page's JSON, gzip-compressed in base64 (nothing in
    it can end the block), and the script knows the block's type."""
    data = lines.session(lines.user("u1", None, "</script><script>alert(1)</script>" * 50))
    plain = DATA.search(page_of(tmp_path, data)).group(1).replace(b"\\u003c", b"<")
    page = page_of(tmp_path, data, compress=True)
    assert DATA.search(page) is None
    block = PACKED.search(page).group(1)
    assert re.fullmatch(rb"[A-Za-z0-9+/=]*", block)
    assert strict_json(gzip.decompress(base64.b64decode(block))) == strict_json(plain)
    assert GZIP_BASE64.encode() in SCRIPT.search(page).group(1)
    assert len(page) < len(page_of(tmp_path, data))
