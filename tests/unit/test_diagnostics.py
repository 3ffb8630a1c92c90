"""Severities: every reason has one, notices lose nothing, and diagnostics carry theirs."""

from __future__ import annotations

import msgspec

from sesslog import Diagnostic, Session, SessionTree
from sesslog.format.diagnostics import DROPPING_REASONS, SEVERITIES, Reason, Severity
from sesslog.format.reader import read_bytes

NOTICES = {
    "bom",
    "crlf",
    "blank_line",
    "missing_newline",
    "duplicate_id_identical",
    "in_progress",
    "invalid_id",
}


def test_every_reason_has_a_severity() -> None:
    assert set(SEVERITIES) == {reason.value for reason in Reason}
    notices = {reason for reason, found in SEVERITIES.items() if found is Severity.NOTICE}
    assert notices == NOTICES


def test_a_dropped_line_is_an_error_unless_its_bytes_live_on_or_are_still_coming() -> None:
    for reason in DROPPING_REASONS:
        expected = Severity.NOTICE if reason.value in NOTICES else Severity.ERROR
        assert SEVERITIES[reason.value] is expected, reason
    assert {r.value for r in DROPPING_REASONS} & NOTICES == {
        "duplicate_id_identical",
        "in_progress",
    }


def test_notices_lose_nothing(lines) -> None:
    entries = [lines.entry("e1", None), lines.entry("e2", "e1"), lines.entry("e3", "e2")]
    clean = lines.session(*entries)
    odd = b"\xef\xbb\xbf" + clean.replace(b"\n", b"\r\n").replace(
        entries[1].replace(b"\n", b"\r\n"), entries[1].replace(b"\n", b"\r\n") * 2 + b"\r\n"
    )
    odd = odd[:-2]  # the final record loses its line ending
    result = read_bytes(odd)
    tree = SessionTree(result.records, result.diagnostics)
    reasons = {d.reason for d in tree.diagnostics.diagnostics}
    assert reasons == {"bom", "crlf", "blank_line", "missing_newline", "duplicate_id_identical"}
    assert tree.diagnostics.errors == [] and len(tree.diagnostics.notices) == 5
    assert [rec.raw for rec in tree] == [e[:-1] for e in entries]


def test_losses_are_errors(lines) -> None:
    data = lines.session(lines.entry("e1", None), b"{oops\n", lines.entry("e2", "gone"))
    result = read_bytes(data)
    tree = SessionTree(result.records, result.diagnostics)
    found = {(d.reason, d.severity) for d in tree.diagnostics.diagnostics}
    assert found == {("bad_json", "error"), ("orphaned_parent", "error")}
    assert all(d.is_error for d in tree.diagnostics.errors)


def test_a_diagnostic_without_severity_gets_its_reasons() -> None:
    """Diagnostics stored before severities existed (in a V2 sidecar's facts) read back."""
    old = b'{"line":3,"offset":40,"reason":"crlf","detail":"x"}'
    assert msgspec.json.decode(old, type=Diagnostic).severity == "notice"
    assert Diagnostic(1, 0, "bad_json", "x").severity == "error"
    assert Diagnostic(1, 0, "some_future_reason", "x").severity == "error"
    encoded = msgspec.json.decode(msgspec.json.encode(Diagnostic(1, 0, "bom", "x")))
    assert encoded == {"line": 1, "offset": 0, "reason": "bom", "detail": "x", "severity": "notice"}


def test_session_diagnostics_split_errors_and_notices(lines, tmp_path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(lines.session(lines.entry("e1", None)).replace(b"\n", b"\r\n") + b"{x\r\n")
    diagnostics = Session.open(path).diagnostics
    assert [d.reason for d in diagnostics.notices] == ["crlf"]
    assert [d.reason for d in diagnostics.errors] == ["bad_json"]
    assert not diagnostics.ok
