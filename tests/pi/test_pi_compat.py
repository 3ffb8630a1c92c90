"""pi reads what sesslog writes, and makes the same context of it.

pi's own session code (``SessionManager.open``, ``buildSessionContext``, ``getTree``,
``convertToLlm`` and the interactive footer, which adds up every assistant message's usage) runs
in Node on sessions written through sesslog's command line (``sesslog append``, ``sesslog
upgrade``) and library (every entry kind, every message role, every content block, branches,
forks), and on the shared conformance cases after a fork or an upgrade by sesslog. pi's
context, tree, leaf and name must equal sesslog's (``sesslog context --json``, ``sesslog tree
--json``), and every assistant message must carry the fields pi's reader and UI use.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fixtures.pi_node import PiInstall
from sesslog import Session
from sesslog import entries as E

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO_ROOT.parent / "shared" / "conformance"
PI_REAL = REPO_ROOT.parent / "shared" / "fixtures" / "pi-real"
GENERATED = REPO_ROOT / "fixtures" / "generated"

# --------------------------------------------------------------------------- what pi needs

#: Fields pi's reader and UI read from every assistant message.
ASSISTANT_FIELDS = ("api", "provider", "model", "usage", "stopReason", "timestamp")
USAGE_FIELDS = ("input", "output", "cacheRead", "cacheWrite", "totalTokens", "cost")
COST_FIELDS = ("input", "output", "cacheRead", "cacheWrite", "total")

MS = 1767607200000
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode("ascii")
USAGE = E.Usage(
    input=1200,
    output=340,
    cache_read=5000,
    cache_write=100,
    total_tokens=6640,
    cost=E.Cost(input=0.0036, output=0.0051, cache_read=0.0015, cache_write=0.000375, total=0.0106),
)
USAGE_JSON = {
    "input": 10,
    "output": 20,
    "cacheRead": 0,
    "cacheWrite": 0,
    "totalTokens": 30,
    "cost": {"input": 0.1, "output": 0.2, "cacheRead": 0, "cacheWrite": 0, "total": 0.3},
}

# --------------------------------------------------------------------------- sessions written


def _sesslog(*args: str | Path, stdin: str | None = None) -> str:
    """Run the ``sesslog`` command line; return its standard output (fails on a non-zero exit)."""
    done = subprocess.run(
        [sys.executable, "-m", "sesslog", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"sesslog {args}: exit {done.returncode}: {done.stderr}"
    return done.stdout


def _assistant(session: Session, content: Any, **fields: Any) -> str:
    fields.setdefault("provider", "anthropic")
    fields.setdefault("model", "claude-sonnet-4-5")
    fields.setdefault("usage", USAGE)
    return session.append_assistant_message(content, **fields).id


def lib_every_kind(folder: Path) -> Path:
    """Every typed helper of the library: each role, each content block, each entry kind."""
    path = folder / "lib-every-kind.jsonl"
    s = Session.create(path=path, cwd="/home/dev/app")
    s.append_model_change("anthropic", "claude-sonnet-4-5")
    s.append_thinking_level_change("high")
    ask = s.append_user_message("Read the README and list the files, please ✅")
    s.append_user_message(
        [
            E.TextContent(text="And this screenshot:"),
            E.ImageContent(data=PNG, mime_type="image/png"),
        ]
    )
    _assistant(
        s,
        [
            E.ThinkingContent(thinking="The user wants the README.", thinking_signature="sig-1"),
            E.ThinkingContent(thinking="", redacted=True),
            E.TextContent(text="Let me read it."),
            E.ToolCall(id="call_1", name="read", arguments={"path": "README.md"}),
        ],
    )
    s.append_tool_result(
        "call_1",
        "read",
        [E.TextContent(text="# app\n\nA demo.\n"), E.ImageContent(data=PNG, mime_type="image/png")],
        details={"lines": 3},
    )
    _assistant(s, [E.ToolCall(id="call_2", name="bash", arguments={"command": "ls -la"})])
    s.append_tool_result("call_2", "bash", "ls: cannot access 'x'", is_error=True)
    s.append_bash_execution("ls", "README.md\nsrc/\n")
    s.append_bash_execution(
        "make test",
        "…",
        exit_code=2,
        truncated=True,
        full_output_path="/tmp/pi-bash-1.log",
        exclude_from_context=True,
    )
    s.append_bash_execution("sleep 100", "", exit_code=None, cancelled=True)
    s.append_message(
        E.CustomMessage(
            custom_type="note", content="Remember the tests.", display=True, timestamp=MS
        )
    )
    s.append_custom("ext.state", {"count": 1, "files": ["README.md"]})
    s.append_custom_message(
        "ext.reminder", [E.TextContent(text="Injected by an extension")], display=False, details={}
    )
    s.set_label(ask.id, "start")
    s.set_name("Every kind of entry")
    kept = s.append_user_message("Keep the context from here on")
    _assistant(s, "Noted.", stop_reason="length")
    s.append_compaction("The user asked about the README.", kept.id, 48_000, details={"read": []})
    _assistant(s, "Overloaded, try again.", stop_reason="error", error_message="overloaded_error")
    s.append_model_change("openai", "gpt-5")
    s.append_thinking_level_change("minimal")
    _assistant(s, "Stopped.", provider="openai", model="gpt-5", api="openai-responses")
    s.append_user_message("Carry on")
    _assistant(s, "Cancelled.", provider="openai", model="gpt-5", stop_reason="aborted")
    s.set_label(ask.id, None)
    s.set_label(kept.id, "kept")
    s.close()
    return path


def lib_default_assistant(folder: Path) -> Path:
    """An assistant message appended with no usage or stop reason: the library's defaults."""
    path = folder / "lib-default-assistant.jsonl"
    s = Session.create(path=path, cwd="/home/dev/app")
    s.append_user_message("Hello")
    s.append_assistant_message("Hello! How can I help?", provider="anthropic", model="m")
    s.append_user_message("List the files")
    s.append_assistant_message(
        [E.ToolCall(id="c1", name="bash", arguments={"command": "ls"})],
        provider="anthropic",
        model="m",
    )
    s.append_tool_result("c1", "bash", "README.md")
    s.close()
    return path


def _branches(folder: Path) -> tuple[Session, dict[str, str]]:
    s = Session.create(path=folder / "lib-branches.jsonl", cwd="/home/dev/app")
    ids = {"first": s.append_user_message("First question").id}
    ids["answer"] = _assistant(s, "First answer")
    ids["follow"] = s.append_user_message("A follow-up").id
    _assistant(s, "Second answer")
    ids["summary"] = s.branch(ids["first"], summary="Tried the follow-up; it led nowhere.").id
    s.append_user_message("Ask it differently")
    ids["retry"] = _assistant(s, "A better answer")
    s.append_compaction("Both branches so far.", ids["summary"], 9_000)
    s.append_user_message("After the compaction")
    s.branch(ids["follow"])  # back to the first branch, no summary
    s.append_user_message("Back on the first branch")
    _assistant(s, "Welcome back")
    s.branch(ids["answer"], summary="")  # an empty summary adds no message
    s.append_thinking_level_change("low")
    ids["empty"] = _assistant(s, "After an empty summary")
    s.branch(None, summary="Starting over from nothing.")
    ids["over"] = s.append_user_message("A new start").id
    s.set_label(ids["retry"], "better")
    ids["last"] = _assistant(s, "From the top")
    return s, ids


def lib_branches(folder: Path) -> Path:
    """Branches made with ``branch`` (with a summary, an empty one, none, and from the root)."""
    s, _ = _branches(folder)
    s.close()
    assert s.path is not None
    return s.path


def lib_forks(folder: Path) -> list[Path]:
    """Forks of the branched session: the path to several entries, and the whole tree."""
    s, ids = _branches(folder / "fork-source")
    paths = []
    for name in ("answer", "retry", "empty", "last"):
        target = folder / f"lib-fork-{name}.jsonl"
        s.fork(ids[name], path=target).close()
        paths.append(target)
    whole = folder / "lib-fork-whole.jsonl"
    s.fork(whole_tree=True, path=whole).close()
    s.close()
    return [*paths, whole]


def cli_append_every_kind(folder: Path) -> Path:
    """``sesslog append`` of every entry kind and message role, each message complete."""
    path = folder / "cli-append-every-kind.jsonl"
    assistant = {"api": "anthropic-messages", "provider": "anthropic", "model": "claude-opus-4"}
    rows: list[dict[str, Any]] = [
        {"type": "model_change", "provider": "anthropic", "modelId": "claude-opus-4"},
        {"type": "thinking_level_change", "thinkingLevel": "medium"},
        {
            "type": "message",
            "id": "a0000001",
            "message": {"role": "user", "content": "Where is the config?", "timestamp": MS},
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "See the screenshot"},
                {"type": "image", "data": PNG, "mimeType": "image/png"},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Look in config/", "thinkingSignature": "s"},
                {"type": "text", "text": "Let me search."},
                {"type": "toolCall", "id": "t1", "name": "grep", "arguments": {"pattern": "x"}},
            ],
            **assistant,
            "usage": USAGE_JSON,
            "stopReason": "toolUse",
            "timestamp": MS,
        },
        {
            "role": "toolResult",
            "toolCallId": "t1",
            "toolName": "grep",
            "content": [{"type": "text", "text": "config/settings.yaml:1:x"}],
            "isError": False,
            "details": {"matches": 1},
        },
        {
            "role": "bashExecution",
            "command": "cat config/settings.yaml",
            "output": "x: 1\n",
            "exitCode": 0,
            "cancelled": False,
            "truncated": False,
        },
        {"role": "custom", "customType": "note", "content": "A note", "display": True},
        {"type": "custom", "customType": "ext.state", "data": {"n": 1}},
        {
            "type": "custom_message",
            "customType": "ext.msg",
            "content": "Injected",
            "display": False,
            "details": {"k": 1},
        },
        {"type": "label", "targetId": "a0000001", "label": "question"},
        {"type": "session_info", "name": "Written by the command line"},
        {
            "type": "branch_summary",
            "id": "b0000001",
            "parentId": "a0000001",
            "fromId": "a0000001",
            "summary": "Looked in config/ first.",
        },
        {"role": "user", "content": "Now the other way"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Done."}],
            **assistant,
            "usage": USAGE_JSON,
            "stopReason": "stop",
            "timestamp": MS,
        },
        {
            "type": "compaction",
            "summary": "Config found.",
            "firstKeptEntryId": "b0000001",
            "tokensBefore": 20_000,
        },
        {"role": "user", "content": "Thanks"},
        {"type": "label", "targetId": "a0000001"},
    ]
    stdin = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    _sesslog("append", "--create", path, "--cwd", "/home/dev/app", stdin=stdin)
    return path


def cli_append_minimal_assistant(folder: Path) -> Path:
    """``sesslog append`` of assistant messages that give only their content and model (one
    with a partial ``usage``): no ``api``, no ``stopReason``, no full ``usage``."""
    path = folder / "cli-append-minimal-assistant.jsonl"
    rows = [
        {"role": "user", "content": "Hello"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Hi"}],
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "usage": {"input": 3, "output": 1},
        },
        {"role": "user", "content": "And now?"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Still here"}],
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
        },
    ]
    stdin = "".join(json.dumps(row) + "\n" for row in rows)
    _sesslog("append", "--create", path, "--cwd", "/home/dev/app", stdin=stdin)
    return path


def cli_upgrade(folder: Path) -> list[Path]:
    """``sesslog upgrade --output`` of v1 and v2 files; one more upgraded in place, then
    appended to with ``sesslog append``."""
    paths = []
    for name in ("v1-0", "v1-1", "v2-0", "v2-1"):
        target = folder / f"cli-upgrade-{name}.jsonl"
        _sesslog("upgrade", GENERATED / "legacy" / f"{name}.jsonl", "--output", target)
        paths.append(target)
    in_place = folder / "cli-upgrade-append.jsonl"
    shutil.copyfile(GENERATED / "legacy" / "v2-1.jsonl", in_place)
    _sesslog("upgrade", in_place)
    reply = {
        "role": "assistant",
        "content": [{"type": "text", "text": "Upgraded and appended"}],
        "api": "anthropic-messages",
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "usage": USAGE_JSON,
        "stopReason": "stop",
    }
    rows = [{"role": "user", "content": "One more question"}, reply]
    _sesslog("append", in_place, stdin="".join(json.dumps(r) + "\n" for r in rows))
    return [*paths, in_place]


Builder = Callable[[Path], "Path | list[Path]"]
BUILDERS: tuple[Builder, ...] = (
    lib_every_kind,
    lib_default_assistant,
    lib_branches,
    lib_forks,
    cli_append_every_kind,
    cli_append_minimal_assistant,
    cli_upgrade,
)
WRITTEN = (
    "lib-every-kind",
    "lib-default-assistant",
    "lib-branches",
    *(f"lib-fork-{n}" for n in ("answer", "retry", "empty", "last", "whole")),
    "cli-append-every-kind",
    "cli-append-minimal-assistant",
    *(f"cli-upgrade-{n}" for n in ("v1-0", "v1-1", "v2-0", "v2-1", "append")),
)


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every session of :data:`WRITTEN`, by name, written once."""
    if not (GENERATED / "legacy").is_dir():
        pytest.skip(f"generated fixtures not found at {GENERATED}")
    folder = tmp_path_factory.mktemp("written")
    (folder / "fork-source").mkdir()
    files: dict[str, Path] = {}
    for build in BUILDERS:
        made = build(folder)
        for path in made if isinstance(made, list) else [made]:
            files[path.stem] = path
    assert sorted(files) == sorted(WRITTEN)
    return files


@pytest.fixture(scope="session")
def pi_written(pi: PiInstall, written: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """pi's answer for every written session, by name (one Node process)."""
    answers = pi.read_sessions(list(written.values()))
    return dict(zip(written, answers, strict=True))


def _name_pi_shows(path: Path, version: str, contract_name: str | None) -> str | None:
    """The session name pi shows: the contract's (the last non-empty ``name`` in file order)
    up to pi 0.58; from pi 0.59.0 on, the last ``session_info`` decides and an empty name
    clears the name ("empty title clears", pi's changelog)."""
    if tuple(int(p) for p in version.split(".")[:2]) < (0, 59):
        return contract_name
    name: str | None = contract_name
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        row = json.loads(line)
        if row.get("type") == "session_info":
            name = (row.get("name") or "").strip() or None
    return name


def _pi_ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["ok"], f"pi threw at {answer['stage']}: {answer['error']}"
    return answer


# --------------------------------------------------------------------------- written: checks


@pytest.mark.parametrize("name", WRITTEN)
def test_pi_opens_and_shows_the_session(name: str, pi_written: dict[str, Any]) -> None:
    answer = _pi_ok(pi_written[name])
    assert answer["entries"] > 0
    assert answer["llmMessages"] <= len(answer["context"]["messages"])
    assert len(answer["footer"]) >= 2


@pytest.mark.parametrize("name", WRITTEN)
@pytest.mark.parametrize("command", ["context", "tree"])
def test_pi_answers_as_sesslog_does(
    command: str, name: str, written: dict[str, Path], pi_written: dict[str, Any]
) -> None:
    """pi's context equals ``sesslog context --json``; its tree, ``sesslog tree --json``."""
    answer = pi_written[name]
    key = "context" if command == "context" else "nodes"
    assert key in answer, f"pi threw at {answer['stage']}: {answer.get('error')}"
    ours = json.loads(_sesslog(command, written[name], "--json"))
    if command == "context":
        assert answer["context"] == ours
        assert ours["messages"], "every written session has messages in its context"
        return
    assert answer["leafId"] == ours["leafId"]
    assert answer["path"] == ours["path"]
    assert answer["nodes"] == ours["nodes"]
    assert answer["name"] == _name_pi_shows(written[name], answer["version"], ours["name"])
    assert {n["id"]: n["label"] for n in answer["nodes"] if n["label"]} == ours["labels"]


def _assistant_messages(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return [
        row["message"]
        for row in rows
        if row.get("type") == "message" and row["message"].get("role") == "assistant"
    ]


@pytest.mark.parametrize("name", WRITTEN)
def test_every_assistant_message_has_the_fields_pi_reads(
    name: str, written: dict[str, Path]
) -> None:
    messages = _assistant_messages(written[name])
    assert messages, "every written session holds an assistant message"
    for message in messages:
        missing = [f for f in ASSISTANT_FIELDS if f not in message]
        usage = message.get("usage", {})
        missing += [f"usage.{f}" for f in USAGE_FIELDS if f not in usage]
        missing += [f"usage.cost.{f}" for f in COST_FIELDS if f not in usage.get("cost", {})]
        assert not missing, f"{name}: an assistant message lacks {missing}"
        assert isinstance(message["timestamp"], int)
        assert message["stopReason"] in ("stop", "length", "toolUse", "error", "aborted")


def test_every_kind_is_written(written: dict[str, Path]) -> None:
    """The written sessions hold every entry kind, role and content block pi knows."""
    kinds: set[str] = set()
    for path in written.values():
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            row = json.loads(line)
            kinds.add(row["type"])
            message = row.get("message") or {}
            if "role" in message:
                kinds.add(f"role:{message['role']}")
            content = message.get("content") or row.get("content")
            if isinstance(content, list):
                kinds.update(f"block:{block['type']}" for block in content)
    assert kinds >= {
        "message",
        "model_change",
        "thinking_level_change",
        "compaction",
        "branch_summary",
        "custom",
        "custom_message",
        "label",
        "session_info",
        *(f"role:{r}" for r in ("user", "assistant", "toolResult", "bashExecution", "custom")),
        *(f"block:{b}" for b in ("text", "image", "thinking", "toolCall")),
    }


# --------------------------------------------------------------------------- conformance


@pytest.fixture(scope="session")
def conformance_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Each conformance case through sesslog: v3 files forked (the whole tree, and the path to
    the leaf), legacy files upgraded with ``sesslog upgrade --output``."""
    if not CONFORMANCE.is_dir():
        pytest.skip(f"shared conformance data not found at {CONFORMANCE}")
    folder = tmp_path_factory.mktemp("conformance")
    outputs: dict[str, dict[str, Path]] = {}
    for source in (
        *sorted((CONFORMANCE / "v3").glob("*.jsonl")),
        *sorted(PI_REAL.glob("*.jsonl")),
    ):
        session = Session.open(source, read_only=True)
        whole, path = folder / f"{source.stem}-whole.jsonl", folder / f"{source.stem}-path.jsonl"
        session.fork(whole_tree=True, path=whole).close()
        session.fork(path=path).close()
        outputs[source.stem] = {"whole": whole, "path": path}
    for source in sorted((CONFORMANCE / "legacy").glob("*.jsonl")):
        upgraded = folder / f"{source.stem}-upgraded.jsonl"
        _sesslog("upgrade", source, "--output", upgraded)
        outputs[source.stem] = {"upgraded": upgraded, "original": source}
    return outputs


@pytest.fixture(scope="session")
def pi_conformance(
    pi: PiInstall, conformance_outputs: dict[str, dict[str, Path]]
) -> dict[Path, dict[str, Any]]:
    """pi's answer for every file of :func:`conformance_outputs`, by path (one Node process)."""
    files = [path for kinds in conformance_outputs.values() for path in kinds.values()]
    return dict(zip(files, pi.read_sessions(files), strict=True))


def _context(path: Path) -> Any:
    return json.loads(json.dumps(Session.open(path, read_only=True).context().to_json()))


def _source_version(path: Path) -> int:
    with path.open("rb") as file:
        header = json.loads(file.readline())
    return int(header.get("version", 1))


def _same_ids_or_shape(answer: dict[str, Any], expected: dict[str, Any], ids: bool) -> None:
    """The tree as expected; for a v1 source (whose ids are made up by each reader) only its
    shape: how many nodes, children and labels, and how deep the leaf is."""
    if ids:
        assert answer["nodes"] == expected["nodes"]
        assert answer["leafId"] == expected["leafId"]
        assert answer["path"] == expected["path"]
        return

    def shape(nodes: list[dict[str, Any]]) -> list[tuple[bool, int, Any]]:
        return [(n["parentId"] is None, len(n["children"]), n["label"]) for n in nodes]

    assert shape(answer["nodes"]) == shape(expected["nodes"])
    assert len(answer["path"]) == len(expected["path"])


def test_pi_reads_conformance_cases_through_sesslog(
    conformance_case: Any,
    conformance_outputs: dict[str, dict[str, Path]],
    pi_conformance: dict[Path, dict[str, Any]],
) -> None:
    expected = conformance_case.expected()
    outputs = conformance_outputs[conformance_case.name]
    ids = _source_version(conformance_case.path) != 1
    if "whole" in outputs:
        whole = _pi_ok(pi_conformance[outputs["whole"]])
        assert whole["context"] == expected["context"] == _context(outputs["whole"])
        assert whole["name"] == _name_pi_shows(outputs["whole"], whole["version"], expected["name"])
        _same_ids_or_shape(whole, expected, ids)
        along = _pi_ok(pi_conformance[outputs["path"]])
        assert along["context"] == expected["context"]
        assert len(along["path"]) == len(expected["path"]) == along["entries"]
        return
    upgraded = _pi_ok(pi_conformance[outputs["upgraded"]])
    pi_own = _pi_ok(pi_conformance[outputs["original"]])
    assert upgraded["header"]["version"] == 3
    assert upgraded["context"] == _context(outputs["upgraded"]) == expected["context"]
    assert upgraded["context"] == pi_own["context"], "pi's own upgrade gives the same context"
    shown = _name_pi_shows(outputs["upgraded"], upgraded["version"], expected["name"])
    assert upgraded["name"] == shown
    _same_ids_or_shape(upgraded, expected, ids)
