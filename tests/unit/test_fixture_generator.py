"""Tests of fixtures/generate.py, the standalone generator of session files."""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fixtures.generate import (  # noqa: E402
    DAMAGE_CASES,
    generate_all,
    main,
    make_damage_manifest,
    make_damaged,
    make_v1_session,
    make_v2_session,
    make_v3_session,
    realistic_text,
)

GENERATED = ROOT / "fixtures" / "generated"
ID_RE = re.compile(r"^[0-9a-f]{8}$")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENTRY_KEYS = ["type", "id", "parentId", "timestamp"]
ROLES = {"user", "assistant", "toolResult", "bashExecution"}
EXPECTED_CASES = {
    "torn_tail",
    "glued_records",
    "bom",
    "crlf",
    "trailing_nuls",
    "lone_surrogate",
    "duplicate_header",
    "duplicate_id_identical",
    "duplicate_id_conflicting",
    "self_parent",
    "two_entry_cycle",
    "orphan",
    "unknown_type",
    "future_version",
    "missing_header",
    "bad_json",
    "not_object",
    "missing_id",
    "blank_lines",
    "numbers",
}
REASONS = {
    "bad_json",
    "torn_tail",
    "trailing_nuls",
    "glued_records",
    "not_object",
    "missing_id",
    "duplicate_id_identical",
    "duplicate_id_conflicting",
    "duplicate_header",
    "orphaned_parent",
    "cycle",
    "self_parent",
    "unknown_version",
    "bad_header",
    "bom",
    "crlf",
    "lone_surrogate",
    "blank_line",
    "unknown_type",
}


def records(data: bytes) -> list[dict[str, Any]]:
    """Parse a clean file with the stdlib: every line must end in \\n and be an object."""
    assert data.endswith(b"\n")
    out = []
    for line in data.split(b"\n")[:-1]:
        obj = json.loads(line)
        assert isinstance(obj, dict)
        out.append(obj)
    return out


def check_clean_tree(data: bytes, version: int = 3) -> list[dict[str, Any]]:
    """Assert the shape and tree rules of a clean v2/v3 session; return its entries."""
    recs = records(data)
    header, entries = recs[0], recs[1:]
    assert list(header)[:3] == ["type", "version", "id"]
    assert header["type"] == "session" and header["version"] == version
    assert ISO_RE.match(header["timestamp"]) and isinstance(header["cwd"], str)
    by_id: dict[str, dict[str, Any]] = {}
    last_ts = header["timestamp"]
    call_ids: set[str] = set()
    for e in entries:
        assert list(e)[:4] == ENTRY_KEYS, e
        assert ID_RE.match(e["id"]) and e["id"] not in by_id
        assert e["parentId"] is None or e["parentId"] in by_id
        assert ISO_RE.match(e["timestamp"]) and e["timestamp"] > last_ts
        last_ts = e["timestamp"]
        by_id[e["id"]] = e
        if e["type"] == "message":
            msg = e["message"]
            assert next(iter(msg)) == "role" and isinstance(msg["timestamp"], int)
            assert msg["role"] in ROLES | ({"hookMessage"} if version == 2 else set())
            if msg["role"] == "assistant":
                for key in ("api", "provider", "model", "usage", "stopReason"):
                    assert key in msg
                assert msg["stopReason"] in {"stop", "length", "toolUse", "error", "aborted"}
                call_ids.update(b["id"] for b in msg["content"] if b["type"] == "toolCall")
            elif msg["role"] == "toolResult":
                assert msg["toolCallId"] in call_ids
        elif e["type"] == "compaction":
            ancestors = set(ancestor_ids(by_id, e["id"]))
            assert e["firstKeptEntryId"] in ancestors
            assert isinstance(e["tokensBefore"], int)
        elif e["type"] == "branch_summary":
            assert e["fromId"] in by_id and e["parentId"] in by_id
        elif e["type"] == "label":
            assert e["targetId"] in by_id
    assert entries[0]["parentId"] is None if entries else True
    return entries


def ancestor_ids(by_id: dict[str, dict[str, Any]], start: str) -> Iterator[str]:
    parent = by_id[start]["parentId"]
    while parent is not None:
        yield parent
        parent = by_id[parent]["parentId"]


def test_same_seed_gives_same_bytes() -> None:
    options: dict[str, Any] = {"branch_every": 20, "compaction_every": 30, "label_every": 10}
    assert make_v3_session(150, 7, **options) == make_v3_session(150, 7, **options)
    assert make_v3_session(150, 7, **options) != make_v3_session(150, 8, **options)
    assert make_v1_session(50, 3) == make_v1_session(50, 3)
    assert make_v2_session(50, 3) == make_v2_session(50, 3)
    for case in DAMAGE_CASES:
        assert make_damaged(case, 2) == make_damaged(case, 2)
    assert make_damage_manifest(2) == make_damage_manifest(2)


def test_realistic_text_is_deterministic_and_varied() -> None:
    a = realistic_text(random.Random(5), 20_000)
    b = realistic_text(random.Random(5), 20_000)
    assert a == b
    assert 16_000 <= len(a) <= 20_000
    for needle in ("\n", '"', "\\", "`", "/"):
        assert needle in a
    assert any(ord(c) > 0xFFFF for c in a)  # emoji
    assert any(0x3040 <= ord(c) <= 0x9FFF for c in a)  # CJK
    assert realistic_text(random.Random(1), 0) == ""
    assert len(realistic_text(random.Random(1), 50)) <= 50


def test_committed_fixtures_match_a_fresh_generation(tmp_path: Path) -> None:
    assert GENERATED.is_dir(), "run: python fixtures/generate.py --out fixtures/generated"
    written = generate_all(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix() for p in written}
    committed = {p.relative_to(GENERATED).as_posix() for p in GENERATED.rglob("*") if p.is_file()}
    assert committed == fresh
    for rel in sorted(fresh):
        assert (GENERATED / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_cli_writes_every_group(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "v3").iterdir())[0].startswith("small-")
    assert any(p.name.startswith("v1-") for p in (tmp_path / "legacy").iterdir())
    assert any(p.name.startswith("v2-") for p in (tmp_path / "legacy").iterdir())
    names = {p.stem for p in (tmp_path / "damaged").glob("*.jsonl")}
    assert names == EXPECTED_CASES
    assert (tmp_path / "damaged" / "manifest.json").is_file()
    assert not (tmp_path / "large").exists()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clean_v3_session_shape(seed: int) -> None:
    data = make_v3_session(400, seed, branch_every=40, compaction_every=60, label_every=25)
    entries = check_clean_tree(data)
    assert len(entries) == 400
    assert data.count(b"\n") == 401
    types = {e["type"] for e in entries}
    assert {"message", "model_change", "thinking_level_change", "compaction", "label"} <= types
    assert entries[0]["type"] == "model_change"
    assert entries[1]["type"] == "thinking_level_change"
    children: dict[str | None, int] = {}
    for e in entries:
        children[e["parentId"]] = children.get(e["parentId"], 0) + 1
    assert max(children.values()) >= 2, "branch_every made no branch"
    roles = {e["message"]["role"] for e in entries if e["type"] == "message"}
    assert {"user", "assistant", "toolResult"} <= roles


def test_linear_session_without_options_has_no_branch() -> None:
    entries = check_clean_tree(make_v3_session(300, 4))
    for prev, e in itertools.pairwise(entries):
        assert e["parentId"] == prev["id"]
    assert not {"compaction", "label", "branch_summary"} & {e["type"] for e in entries}


def test_committed_v3_files_are_clean() -> None:
    paths = sorted((GENERATED / "v3").glob("*.jsonl"))
    assert paths, f"no committed v3 fixtures in {GENERATED / 'v3'}"
    assert len(paths) >= 5  # small-0 ... small-4, as generate_all writes them
    for path in paths:
        entries = check_clean_tree(path.read_bytes())
        assert entries, path.name


@pytest.mark.parametrize("line_bytes", [1000, 2500])
def test_average_line_size(line_bytes: int) -> None:
    data = make_v3_session(2000, 11, line_bytes=line_bytes, branch_every=50, compaction_every=80)
    average = len(data) / data.count(b"\n")
    assert 0.75 * line_bytes <= average <= 1.25 * line_bytes
    sizes = [len(line) for line in data.split(b"\n")]
    assert max(sizes) > 2 * min(sizes), "line sizes should vary"


def test_numbers_are_written_as_javascript_would() -> None:
    data = make_v3_session(500, 9) + make_v2_session(200, 9) + make_v1_session(200, 9)

    def check_float(text: str) -> float:
        assert "e" not in text.lower() and not text.endswith(".0"), text
        return float(text)

    for line in data.split(b"\n")[:-1]:
        json.loads(line, parse_float=check_float)


def test_v1_session() -> None:
    data = make_v1_session(120, 1)
    recs = records(data)
    assert "version" not in recs[0] and recs[0]["type"] == "session"
    assert all("id" not in r and "parentId" not in r for r in recs[1:])
    compactions = [(i, r) for i, r in enumerate(recs) if r["type"] == "compaction"]
    assert compactions
    for index, c in compactions:
        kept = c["firstKeptEntryIndex"]
        assert "firstKeptEntryId" not in c
        assert 1 <= kept < index
        assert recs[kept]["type"] == "message"
    assert {r["type"] for r in recs[1:]} <= {
        "message",
        "model_change",
        "thinking_level_change",
        "compaction",
    }


def test_v2_session() -> None:
    data = make_v2_session(120, 1)
    entries = check_clean_tree(data, version=2)
    roles = {e["message"]["role"] for e in entries if e["type"] == "message"}
    assert "hookMessage" in roles and "custom" not in roles
    assert "custom_message" not in {e["type"] for e in entries}
    assert any(e["type"] == "compaction" and "firstKeptEntryId" in e for e in entries)


def naive_read(data: bytes, *, salvage: bool) -> list[dict[str, Any]]:
    """A deliberately simple reader of damaged files, used to cross-check the manifest."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    data = data.rstrip(b"\x00")
    lines = data.split(b"\n")[:-1]  # an empty string, or a torn tail
    objects: list[Any] = []
    decoder = json.JSONDecoder()
    for raw in lines:
        text = raw.decode("utf-8").rstrip("\r")
        if not text.strip():
            continue
        try:
            objects.append(json.loads(text))
        except json.JSONDecodeError:
            if not salvage:
                continue
            pos = 0
            try:
                while pos < len(text):
                    obj, pos = decoder.raw_decode(text, pos)
                    objects.append(obj)
            except json.JSONDecodeError:
                continue
    seen: dict[str, dict[str, Any]] = {}
    for obj in objects:
        if isinstance(obj, dict) and obj.get("type") != "session" and "id" in obj:
            seen.setdefault(obj["id"], obj)
    return list(seen.values())


def test_manifest_agrees_with_files() -> None:
    manifest = make_damage_manifest()
    assert set(manifest) == set(DAMAGE_CASES) == EXPECTED_CASES
    for case, info in manifest.items():
        data = make_damaged(case)
        assert info["file"] == f"{case}.jsonl"
        assert info["lines"] == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        for diag in info["damage"] + info["secondary"]:
            assert diag["reason"] in REASONS
            start = diag["offset"]
            assert start == 0 or data[start - 1 : start] == b"\n"
            assert data[:start].count(b"\n") == diag["line"] - 1
        assert info["informational"] == (
            case in {"bom", "crlf", "lone_surrogate", "blank_lines", "unknown_type", "numbers"}
        )
        if not info["informational"]:
            assert info["damage"], case
        tolerant = naive_read(data, salvage=False)
        assert len(tolerant) == info["entries"], case
        assert tolerant[-1]["id"] == info["leafId"], case
        assert len(naive_read(data, salvage=True)) == info["entriesSalvage"], case


def lines_of(case: str) -> tuple[bytes, list[bytes], dict[str, Any]]:
    data = make_damaged(case)
    return data, data.split(b"\n"), make_damage_manifest()[case]


def damaged_line(case: str, index: int = 0) -> tuple[bytes, dict[str, Any]]:
    _, lines, info = lines_of(case)
    return lines[info["damage"][index]["line"] - 1], info


def test_damage_framing_cases() -> None:
    data, lines, _ = lines_of("torn_tail")
    assert not data.endswith(b"\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[-1])

    line, _ = damaged_line("glued_records")
    assert line.count(b'}{"type":') == 1
    left, right = line.split(b'}{"type":')
    assert json.loads(left + b"}")["id"] and json.loads(b'{"type":' + right)["id"]

    data = make_damaged("bom")
    assert data.startswith(b"\xef\xbb\xbf{") and b"\xef\xbb\xbf" not in data[3:]
    check_clean_tree(data[3:])

    data = make_damaged("crlf")
    assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")

    data = make_damaged("trailing_nuls")
    body = data.rstrip(b"\x00")
    assert body.endswith(b"\n") and len(data) - len(body) >= 64 and len(data) % 4096 == 0

    _, lines, info = lines_of("blank_lines")
    assert all(lines[d["line"] - 1] == b"" for d in info["damage"])


def test_damage_content_cases() -> None:
    line, _ = damaged_line("lone_surrogate")
    assert re.search(rb"\\ud83d(?!\\ud[c-f])", line)
    text = json.dumps(json.loads(line), ensure_ascii=False)
    assert "\ud83d" in text  # stdlib json reads the lone surrogate

    _, lines, info = lines_of("duplicate_header")
    assert (
        info["damage"][0]["line"] > 1
        and json.loads(lines[info["damage"][0]["line"] - 1])["type"] == "session"
    )

    _, lines, info = lines_of("duplicate_id_identical")
    assert lines[info["damage"][0]["line"] - 1] == lines[info["relatedLines"][0] - 1]

    _, lines, info = lines_of("duplicate_id_conflicting")
    dup, orig = lines[info["damage"][0]["line"] - 1], lines[info["relatedLines"][0] - 1]
    assert dup != orig and json.loads(dup)["id"] == json.loads(orig)["id"]

    line, _ = damaged_line("self_parent")
    obj = json.loads(line)
    assert obj["parentId"] == obj["id"]

    _, lines, info = lines_of("two_entry_cycle")
    b_line = info["damage"][0]["line"]
    a, b, after = (json.loads(lines[i - 1]) for i in (info["relatedLines"][0], b_line, b_line + 1))
    assert a["parentId"] == b["id"] and b["parentId"] == a["id"] and after["parentId"] == b["id"]

    data, lines, info = lines_of("orphan")
    obj = json.loads(lines[info["damage"][0]["line"] - 1])
    assert obj["parentId"] and f'"id":"{obj["parentId"]}"'.encode() not in data

    _, lines, info = lines_of("unknown_type")
    n = info["damage"][0]["line"]
    usage, nxt = json.loads(lines[n - 1]), json.loads(lines[n])
    assert usage["type"] == "usage" and nxt["parentId"] == usage["id"]

    assert json.loads(lines_of("future_version")[1][0])["version"] == 99
    assert json.loads(lines_of("missing_header")[1][0])["type"] != "session"

    line, _ = damaged_line("bad_json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)

    _, lines, info = lines_of("not_object")
    assert {type(json.loads(lines[d["line"] - 1])) for d in info["damage"]} == {list, int}

    line, _ = damaged_line("missing_id")
    obj = json.loads(line)
    assert "id" not in obj and obj["type"] != "session"

    data, lines, info = lines_of("numbers")
    assert info["damage"] == []
    for needle in (b'"output":5.0', b'"input":1e3', b'"input":5,'):
        assert needle in data
