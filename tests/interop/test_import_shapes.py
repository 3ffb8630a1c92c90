"""Records of any shape import without error and are all kept (property tests)."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_oracle import embedded_records, read_records

from sesslog import Session
from sesslog.format.reader import ReadMode
from sesslog.interop.importer import import_paths

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=6), st.sampled_from(["u1", "u2"])
)
_KEYS = [
    "type",
    "uuid",
    "parentUuid",
    "logicalParentUuid",
    "sessionId",
    "isSidechain",
    "agentId",
    "isCompactSummary",
    "subtype",
    "message",
    "content",
    "id",
    "role",
    "text",
    "thinking",
    "input",
    "name",
    "tool_use_id",
    "usage",
    "output_tokens",
    "source",
    "payload",
    "call_id",
    "output",
    "summary",
    "info",
    "total_token_usage",
    "last_token_usage",
    "timestamp",
]
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
_TYPES = st.sampled_from(
    [
        "user",
        "assistant",
        "system",
        "summary",
        "progress",
        "custom-title",
        "tag",
        "response_item",
        "event_msg",
        "compacted",
        "turn_context",
        "session_meta",
        "message",
        "function_call",
        "reasoning",
        "token_count",
        "tool_result",
        "text",
        "compact_boundary",
    ]
)


@st.composite
def _record(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {"type": draw(_TYPES)}
    for key in draw(st.lists(st.sampled_from(_KEYS), max_size=8, unique=True)):
        if key == "type":
            continue
        if key in ("message", "payload", "content"):
            record[key] = draw(
                st.one_of(
                    _values,
                    st.fixed_dictionaries(
                        {"type": _TYPES, "content": _values, "id": _scalars, "role": _scalars},
                        optional={"usage": _values, "info": _values, "text": _values},
                    ),
                )
            )
        else:
            record[key] = draw(_values)
    return record


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record(), min_size=1, max_size=12), st.sampled_from(["claude", "codex"]))
def test_any_records_import_and_are_kept(records: list[dict[str, Any]], source: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "source.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        report = import_paths([path], Path(folder) / "root", source=source)
        (result,) = report.files
        assert result.status == "imported", result.error
        held: list[bytes] = []
        for session in result.sessions:
            opened = Session.open(session.path, mode=ReadMode.STRICT)
            held += embedded_records(opened)
        wanted = Counter(r.raw for r in read_records(path.read_bytes()))
        # Records repeated byte for byte are kept once.
        assert Counter(held) == Counter(dict.fromkeys(wanted, 1))
        again = import_paths([path], Path(folder) / "root", source=source)
        assert again.files[0].status == "unchanged"
