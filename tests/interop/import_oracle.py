"""What an import must give, worked out from the source files alone (standard library only).

Nothing here uses ``sesslog.interop``: source files are read with :mod:`json` (glued records
split with ``raw_decode``, torn lines skipped), and the texts, token counts and records each
imported session must hold are derived from the source's own rules.
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from sesslog import Session
from sesslog.format.reader import ReadMode

BOM = b"\xef\xbb\xbf"


@dataclass
class SourceRecord:
    """One complete record of a source file: its bytes and its value."""

    raw: bytes
    value: dict[str, Any]


def read_records(data: bytes) -> list[SourceRecord]:
    """Every complete JSON object of a JSONL file, glued ones split, in file order."""
    data = data.removeprefix(BOM)
    out: list[SourceRecord] = []
    decoder = json.JSONDecoder()
    for line in data.split(b"\n"):
        line = line.rstrip(b"\r").strip(b"\x00")
        if not line.strip():
            continue
        text = line.decode("utf-8", "surrogateescape")
        index = 0
        while index < len(text):
            start = text.find("{", index)
            if start == -1:
                break
            try:
                _, stop = decoder.raw_decode(text, start)
            except ValueError:
                break
            raw = text[start:stop].encode("utf-8", "surrogateescape")
            value = json.loads(raw.decode("utf-8", "replace"))
            if isinstance(value, dict):
                out.append(SourceRecord(raw, value))
            index = stop
    return out


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            b["text"]
            for b in content
            if isinstance(b, dict)
            and b.get("type") in ("text", "input_text", "output_text")
            and isinstance(b.get("text"), str)
        ]
    return []


@dataclass
class Expected:
    """What one imported session must hold.

    Attributes:
        session_id: The target session's id.
        records: The source records it keeps (their bytes, each once).
        texts: (role, text) of every user and assistant text, in file order.
        context_texts: The texts the source's own context holds at its end, in order.
        linear: True when the context holds every text (no branch, no compaction).
        usage: input, output, cacheRead, cacheWrite, each response counted once.
        summary: The summary of the last compaction on the context, if any.
    """

    session_id: str
    records: list[bytes] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    context_texts: list[tuple[str, str]] = field(default_factory=list)
    linear: bool = True
    usage: dict[str, int] = field(default_factory=dict)
    summary: str | None = None


# --------------------------------------------------------------------------- Claude Code


def claude_expected(path: Path) -> dict[str, Expected]:
    """The sessions a Claude Code file gives, by id: the main one and one per subagent."""
    records = read_records(path.read_bytes())
    kept: list[SourceRecord] = []
    seen: dict[str, bytes] = {}
    for rec in records:
        uuid = rec.value.get("uuid")
        key = uuid if isinstance(uuid, str) else rec.raw
        if key in seen and seen[key] == rec.raw:
            continue
        if key not in seen:
            seen[key] = rec.raw
        kept.append(rec)
    base = next(
        (r.value["sessionId"] for r in kept if isinstance(r.value.get("sessionId"), str)),
        path.stem,
    )
    parts: dict[str, list[SourceRecord]] = {}
    part = base
    for rec in kept:
        value = rec.value
        if isinstance(value.get("uuid"), str):
            agent = value.get("agentId")
            if value.get("isSidechain") is True:
                part = f"{base}-agent-{agent}" if isinstance(agent, str) else f"{base}-sidechain"
            else:
                part = base
        parts.setdefault(part, []).append(rec)
    return {sid: _claude_session(sid, recs) for sid, recs in parts.items()}


def _claude_session(session_id: str, records: list[SourceRecord]) -> Expected:
    out = Expected(session_id, records=[r.raw for r in records])
    by_uuid: dict[str, dict[str, Any]] = {}
    last_usage: dict[str, dict[str, Any]] = {}
    messages = []
    for rec in records:
        value = rec.value
        uuid = value.get("uuid")
        if not isinstance(uuid, str) or uuid in by_uuid:
            continue  # a conflicting repeat of a uuid stays a custom record
        by_uuid[uuid] = value
        message = value.get("message")
        if value.get("type") == "assistant" and isinstance(message, dict):
            response = message.get("id") if isinstance(message.get("id"), str) else uuid
            last_usage[response] = message.get("usage") or {}
            messages.append(value)
            out.texts += [("assistant", t) for t in _texts(message.get("content"))]
        elif value.get("type") == "user" and isinstance(message, dict):
            if value.get("isCompactSummary") is True:
                continue
            messages.append(value)
            out.texts += [("user", t) for t in _texts(message.get("content"))]
    keys = (
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    )
    out.usage = dict(
        zip(
            ("input", "output", "cacheRead", "cacheWrite"),
            (sum(int(u.get(k) or 0) for u in last_usage.values()) for k in keys),
            strict=True,
        )
    )
    chain: list[dict[str, Any]] = []
    current = messages[-1] if messages else None
    while current is not None:
        if current.get("subtype") == "compact_boundary":
            summary = next(
                (
                    v
                    for v in by_uuid.values()
                    if v.get("isCompactSummary") is True and v.get("parentUuid") == current["uuid"]
                ),
                None,
            )
            if summary is not None:
                out.summary = "\n".join(_texts(summary["message"].get("content")))
            break
        chain.append(current)
        current = by_uuid.get(current.get("parentUuid"))
    for value in reversed(chain):
        role = value["type"]
        content = (
            value["message"].get("content") if isinstance(value.get("message"), dict) else None
        )
        if role == "assistant":
            out.context_texts += [("assistant", t) for t in _texts(content)]
        elif role == "user" and value.get("isCompactSummary") is not True:
            out.context_texts += [("user", t) for t in _texts(content)]
    out.linear = Counter(out.context_texts) == Counter(out.texts)
    return out


# --------------------------------------------------------------------------- Codex CLI


def codex_expected(path: Path) -> Expected:
    """The session a Codex rollout gives."""
    records = read_records(path.read_bytes())
    kept: list[SourceRecord] = []
    raws: set[bytes] = set()
    for rec in records:
        if rec.raw not in raws:
            raws.add(rec.raw)
            kept.append(rec)
    meta = next((r.value["payload"] for r in kept if r.value.get("type") == "session_meta"), {})
    out = Expected(str(meta.get("id", path.stem)), records=[r.raw for r in kept])
    totals = {"input": 0, "cached": 0, "output": 0}
    previous: Any = object()
    for rec in kept:
        kind = rec.value.get("type")
        payload = rec.value.get("payload")
        if not isinstance(payload, dict):
            continue
        if kind == "response_item" and payload.get("type") == "message":
            role = payload.get("role")
            if role in ("user", "assistant"):
                texts = [(role, t) for t in _texts(payload.get("content"))]
                out.texts += texts
                out.context_texts += texts
        elif kind == "compacted":
            out.context_texts = []
            out.linear = False
            out.summary = payload.get("message") or None
        elif kind == "event_msg" and payload.get("type") == "token_count":
            info = payload.get("info")
            if not isinstance(info, dict) or info.get("total_token_usage") == previous:
                continue
            previous = info.get("total_token_usage")
            last = info.get("last_token_usage") or {}
            totals["input"] += int(last.get("input_tokens") or 0)
            totals["cached"] += int(last.get("cached_input_tokens") or 0)
            totals["output"] += int(last.get("output_tokens") or 0)
    out.usage = {
        "input": totals["input"] - totals["cached"],
        "output": totals["output"],
        "cacheRead": totals["cached"],
        "cacheWrite": 0,
    }
    return out


# --------------------------------------------------------------------------- imported sessions


class _Embedded(msgspec.Struct):
    type: Any = None
    custom_type: Any = msgspec.field(default=None, name="customType")
    data: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b""))
    source_records: list[msgspec.Raw] = msgspec.field(default_factory=list, name="sourceRecords")


_EMBEDDED = msgspec.json.Decoder(_Embedded)


def find_session(root: Path, session_id: str) -> Path:
    """The file of a session in a sessions root."""
    found = glob.glob(str(root / "*" / f"*_{glob.escape(session_id)}.jsonl"))
    assert len(found) == 1, f"{session_id}: {found}"
    return Path(found[0])


def embedded_records(session: Session) -> list[bytes]:
    """The source records an imported session holds (their exact bytes), in file order."""
    out: list[bytes] = []
    for rec in session.tree:
        try:
            held = _EMBEDDED.decode(rec.raw)
        except msgspec.DecodeError:  # msgspec refuses lone surrogate escapes
            out.extend(_embedded_by_stdlib(rec.raw))
            continue
        out.extend(bytes(raw) for raw in held.source_records)
        if held.type == "custom" and held.data and held.custom_type != "sesslog.meta":
            out.append(bytes(held.data))
    return out


def _embedded_by_stdlib(raw: bytes) -> list[bytes]:
    """The embedded records of one line, found with the standard library (byte spans)."""
    text = raw.decode("utf-8", "surrogateescape")
    value = json.loads(raw.decode("utf-8", "replace"))
    decoder = json.JSONDecoder()
    spans = []
    if "sourceRecords" in value:
        index = text.rindex('"sourceRecords":[') + len('"sourceRecords":[')
        for _ in value["sourceRecords"]:
            _, stop = decoder.raw_decode(text, index)
            spans.append((index, stop))
            index = stop + 1
    elif value.get("type") == "custom" and value.get("customType") != "sesslog.meta":
        index = text.rindex('"data":') + len('"data":')
        spans.append((index, decoder.raw_decode(text, index)[1]))
    return [text[a:b].encode("utf-8", "surrogateescape") for a, b in spans]


def session_texts(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, text) of the user and assistant texts of messages, in order."""
    out = []
    for message in messages:
        role = message.get("role")
        if role == "user":
            out += [("user", t) for t in _texts(message.get("content"))]
        elif role == "assistant":
            out += [("assistant", t) for t in _texts(message.get("content"))]
    return out


def session_usage(session: Session) -> dict[str, int]:
    """Token counts summed over every assistant message of a session."""
    totals = dict.fromkeys(("input", "output", "cacheRead", "cacheWrite"), 0)
    for rec in session.tree:
        if rec.type != "message":
            continue
        message = rec.decode()["message"]
        if message.get("role") == "assistant":
            for key in totals:
                totals[key] += int(message["usage"][key])
    return totals


def is_subsequence(short: list[Any], long: list[Any]) -> bool:
    """True when ``short`` appears in ``long`` in order (not necessarily adjacent)."""
    walk = iter(long)
    return all(any(item == other for other in walk) for item in short)


def check_session(root: Path, expected: Expected) -> Session:
    """Open the imported session and check it against what the source says; return it."""
    session = Session.open(find_session(root, expected.session_id), mode=ReadMode.STRICT)
    assert session.diagnostics.ok, session.diagnostics.diagnostics
    assert Counter(embedded_records(session)) == Counter(expected.records)
    all_messages = [rec.decode()["message"] for rec in session.tree if rec.type == "message"]
    assert session_texts(all_messages) == expected.texts
    context = session.context()
    texts = session_texts(context.messages)
    assert is_subsequence(expected.context_texts, texts)
    assert is_subsequence(texts, expected.texts)
    if expected.linear:
        assert texts == expected.texts
    if expected.summary is not None:
        assert context.messages[0]["role"] == "compactionSummary"
        assert context.messages[0]["summary"] == expected.summary
    assert session_usage(session) == expected.usage
    return session


# --------------------------------------------------------------------------- pi copies


def copy_of(root: Path, source: Path) -> Path:
    """The copy of a pi session file in a sessions root (found by its header's id)."""
    header = json.loads(source.read_bytes().removeprefix(BOM).split(b"\n", 1)[0])
    return find_session(root, header["id"])


def same_reading(source: Path, copy: Path) -> None:
    """The copy reads as the source does: same context, same damage, one entry more."""
    original = Session.open(source, read_only=True)
    copied = Session.open(copy, read_only=True)
    assert copied.context().to_json() == original.context().to_json()
    assert copied.diagnostics.diagnostics == original.diagnostics.diagnostics
    assert len(copied.tree) == len(original.tree) + 1
