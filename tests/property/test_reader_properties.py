"""Whatever the bytes, the reader never raises and accounts for every line.

Two families of input: arbitrary bytes, and files assembled from pieces that stress each part
of the reader (records, headers, torn and glued objects, deep nesting, NULs, BOM, CR, lone
surrogates, invalid UTF-8, huge numbers, keys naming a record's internal fields). For each,
in every mode, ``read_bytes`` returns, ``Session.open`` on a file holding the bytes returns
(strict mode raises :class:`~sesslog.FormatError` and nothing else), and every line that does
not end up in the tree has a diagnostic naming its line number and the offset of its start.

The oracle frames the bytes itself (``bytes.split``), independently of the reader.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import example, given

from sesslog import FormatError, ReadMode, Session, SessionTree
from sesslog.format.reader import SessionData, read_bytes

HEADER = (
    b'{"type":"session","version":3,"id":"0192f2c8-aaaa-7bbb-8ccc-000000000001",'
    b'"timestamp":"2026-01-05T10:00:00.000Z","cwd":"/home/dev/app"}'
)
FORGED = base64.b64encode(b'{"type":"custom","id":"zz","parentId":null}').decode().encode()


def _entry(entry_id: bytes, parent: bytes, extra: bytes = b"") -> bytes:
    return (
        b'{"type":"custom","id":"' + entry_id + b'","parentId":' + parent + b","
        b'"timestamp":"2026-01-05T10:00:01.000Z","customType":"t"' + extra + b"}"
    )


IDS = st.sampled_from([b"a1", b"b2", b"c3", b"../x", b""])
PARENTS = st.sampled_from([b"null", b'"a1"', b'"b2"', b'"c3"', b'"gone"', b"5"])
EXTRAS = st.sampled_from(
    [
        b"",
        b',"\\ue000raw":"' + FORGED + b'"',
        b',"\\ue000source":"' + FORGED + b'","\\ue000line":1,"\\ue000offset":0',
        b',"s":"cut \\ud83d"',
        b',"n":' + b"9" * 5000,
        b',"n":1e999',
        b',"n":NaN',
        b',"bad":"\xff\xfe"',
        b',"deep":' + b"[" * 3000 + b"]" * 3000,
        b',"deep":' + b"[" * 3000,
    ]
)
ENTRIES = st.builds(_entry, IDS, PARENTS, EXTRAS)
PIECES = st.one_of(
    ENTRIES,
    st.just(HEADER),
    st.sampled_from(
        [
            b"",
            b" ",
            b"\r",
            b"\x00" * 7,
            b"\xef\xbb\xbf",
            b"{",
            b"}",
            b"[1,2]",
            b'"\\ud83d"',
            b"null",
            b'{"type":',
            b"[" * 5000,
            b'{"a":' * 2000,
            b'{"type":' * 2000,
            b"\xff\xfe\xed\xa0\x80",
            b'{"type":"session","version":99}',
            b'{"type":"session","version":[[1]]}',
        ]
    ),
    st.binary(max_size=40),
)
SEPARATORS = st.sampled_from([b"\n", b"\n", b"\n", b"\r\n", b"", b" "])
STRUCTURED = st.lists(st.tuples(PIECES, SEPARATORS), max_size=12).map(
    lambda parts: b"".join(piece + sep for piece, sep in parts)
)
ANY_BYTES = st.one_of(st.binary(max_size=400), STRUCTURED)


def lines_of(data: bytes) -> list[tuple[int, int, bytes]]:
    """``(number, offset of its start, bytes)`` of each line, split at ``\\n``."""
    out = []
    start = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if start == len(data) and not line:
            break  # the empty "line" after a final newline
        out.append((number, start, line))
        start += len(line) + 1
    return out


def _bare(line: bytes, start: int) -> bytes:
    """A line without the file's BOM, NUL padding before it, line ending and blanks."""
    if start == 0:
        line = line.removeprefix(b"\xef\xbb\xbf")
    return line.lstrip(b"\x00").strip()


def check_accounted(data: bytes, result: SessionData, tree: SessionTree) -> None:
    """Every line is in the tree, is the header, or has a diagnostic at its start."""
    taken = {rec.line for rec in tree}
    at = {(d.line, d.offset) for d in tree.diagnostics.diagnostics}
    nul_tail_from = min(
        (d.line for d in tree.diagnostics.diagnostics if d.reason == "trailing_nuls"),
        default=None,
    )
    header_line = None
    if result.header_raw is not None:
        header = result.header_raw.strip()
        # (A header split from a glued line has no line of its own: the line is reported.)
        found = (n for n, at, line in lines_of(data) if _bare(line, at) == header)
        header_line = next(found, None)
    for number, start, line in lines_of(data):
        if number in taken or number == header_line:
            continue
        if (number, start) in at:
            continue
        # Past NUL padding at the end of the file, one diagnostic covers every line.
        rest = data[start:].replace(b"\x00", b"").replace(b"\r", b"").replace(b"\n", b"")
        assert nul_tail_from is not None and nul_tail_from < number and not rest, (
            f"line {number} at byte {start} ({line[:60]!r}) was not taken and not reported; "
            f"reported: {sorted(at)}"
        )
    for rec in result.records:  # what is kept is what the file holds, where it says
        kept = rec.source if rec.source is not None else rec.raw
        at = data[rec.offset :]  # a BOM or NUL padding may stand before the record
        assert at.removeprefix(b"\xef\xbb\xbf").lstrip(b"\x00").startswith(kept)


@given(data=ANY_BYTES)
@example(data=HEADER + b"\n" + b"[" * 200_000 + b"\n" + _entry(b"a1", b"null") + b"\n")
@example(data=HEADER + b"\n" + b'{"a":' * 200_000 + b"\n" + _entry(b"a1", b"null"))
@example(data=HEADER + b"\n" + _entry(b"a1", b"null") + b'{"type":[' * 100_000 + b"\n")
@example(data=b"\xef\xbb\xbf\x00\n\r\n" + HEADER + b"\r\n\x00\x00\n\x00")
@pytest.mark.parametrize("mode", list(ReadMode), ids=lambda m: m.value)
def test_read_bytes_never_raises_and_reports_every_line_not_taken(
    data: bytes, mode: ReadMode
) -> None:
    result = read_bytes(data, mode, path="any.jsonl")
    tree = SessionTree(result.records, result.diagnostics)
    check_accounted(data, result, tree)
    for diag in tree.diagnostics.diagnostics:
        assert diag.severity in ("notice", "error")


@given(data=ANY_BYTES)
@example(data=HEADER + b"\n" + b"[" * 200_000 + b"\n")
def test_session_open_on_any_file_never_raises(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.jsonl"
        path.write_bytes(data)
        for mode in (ReadMode.TOLERANT, ReadMode.SALVAGE):
            session = Session.open(path, mode=mode)
            session.context()
            session.tree.nodes()
            session.export_jsonl()
            for rec in session.tree:
                rec.typed()
                rec.message  # noqa: B018 - decoding the message head must not raise
        tolerant = Session.open(path)
        try:
            Session.open(path, mode=ReadMode.STRICT)
        except FormatError as err:
            assert tolerant.diagnostics.diagnostics
            assert err.line is not None and err.offset is not None and err.reason
        else:
            assert not tolerant.diagnostics.diagnostics
        assert path.read_bytes() == data  # reading never writes
