"""Shared test fixtures: where the shared conformance data and generated fixtures live, and
small builders for session bytes.

The conformance cases and real pi files live next to the repository, in ``../shared``; they are
read from there at test time and never copied in. Tests that need them are skipped, with the
reason, when that folder is missing. The generated fixtures live in ``fixtures/generated``.
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from sesslog import Session, SessionContext
from sesslog.format.codec import dumps_json
from sesslog.format.reader import SessionData

# A suite started with Ctrl-C ignored (a background job of a shell without job control) would
# hand that to every child it starts, and the tests that stop a child with SIGINT could not.
# A handler here is reset to the default in each child, so each starts as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"
PI_REAL = SHARED / "fixtures" / "pi-real"
GENERATED = REPO_ROOT / "fixtures" / "generated"

# A closing writer of a long session starts a sidecar build in a process of its own
# (sesslog/write/auto_sidecar.py); the suite turns it off so that no test's folder gains a
# sidecar behind its back. tests/writer/test_auto_sidecar.py turns it on where it is tested.
os.environ["SESSLOG_AUTO_SIDECAR"] = "0"

_NO_SHARED = f"shared conformance data not found at {SHARED}"
_NO_GENERATED = f"generated fixtures not found at {GENERATED} (run fixtures/generate.py)"


@dataclass(frozen=True)
class ConformanceCase:
    """One session file of the shared data and the reference reader's answer for it."""

    name: str
    path: Path
    expected_path: Path

    def expected(self) -> dict[str, Any]:
        value = json.loads(self.expected_path.read_text(encoding="utf-8"))
        assert isinstance(value, dict)
        return value


def conformance_cases() -> list[ConformanceCase]:
    """Every case of ``../shared/conformance`` and ``../shared/fixtures/pi-real``."""
    cases = []
    for folder, expected in (
        (CONFORMANCE / "v3", CONFORMANCE / "expected"),
        (CONFORMANCE / "legacy", CONFORMANCE / "expected"),
        (PI_REAL, PI_REAL / "expected"),
    ):
        for path in sorted(folder.glob("*.jsonl")):
            cases.append(ConformanceCase(path.stem, path, expected / f"{path.stem}.json"))
    return cases


def generated_files(subs: tuple[str, ...]) -> list[Path]:
    """The session files in the given folders of ``fixtures/generated``."""
    return sorted(path for sub in subs for path in (GENERATED / sub).glob("*.jsonl"))


def damage_manifest() -> dict[str, dict[str, Any]]:
    """The manifest of the generated damaged files, or an empty mapping when missing."""
    path = GENERATED / "damaged" / "manifest.json"
    if not path.exists():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def _params(items: list[Any], ids: list[str], reason: str) -> list[Any]:
    if not items:
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="missing")]
    return [pytest.param(item, id=name) for item, name in zip(items, ids, strict=True)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that ask for ``conformance_case``, ``generated_file``,
    ``generated_v3_file`` or ``damage_case`` with every file there is (or with one skipped case
    naming what is missing)."""
    if "conformance_case" in metafunc.fixturenames:
        cases = conformance_cases() if SHARED.is_dir() else []
        metafunc.parametrize(
            "conformance_case", _params(cases, [c.name for c in cases], _NO_SHARED)
        )
    for name, subs in (
        ("generated_file", ("v3", "legacy", "damaged")),
        ("generated_v3_file", ("v3",)),
    ):
        if name in metafunc.fixturenames:
            files = generated_files(subs)
            ids = [f"{p.parent.name}/{p.name}" for p in files]
            metafunc.parametrize(name, _params(files, ids, _NO_GENERATED))
    if "damage_case" in metafunc.fixturenames:
        manifest = damage_manifest()
        metafunc.parametrize(
            "damage_case", _params(sorted(manifest), sorted(manifest), _NO_GENERATED)
        )


@pytest.fixture(scope="session")
def damaged_dir() -> Path:
    """``fixtures/generated/damaged`` (skips when missing)."""
    if not (GENERATED / "damaged").is_dir():
        pytest.skip(_NO_GENERATED)
    return GENERATED / "damaged"


@pytest.fixture(scope="session")
def manifest() -> dict[str, dict[str, Any]]:
    """The damaged-fixture manifest (skips when the generated fixtures are missing)."""
    value = damage_manifest()
    if not value:
        pytest.skip(_NO_GENERATED)
    return value


# --------------------------------------------------------------------------- helpers


class Helpers:
    """Small checks shared by the test modules (reach them through the ``helpers`` fixture)."""

    @staticmethod
    def context_json(ctx: SessionContext) -> Any:
        """A context as plain JSON values, as the CLI prints it."""
        return json.loads(dumps_json(ctx.to_json()))

    @staticmethod
    def rebuilt_bytes(data: SessionData) -> bytes:
        """The file as the reader's records give it back: header line plus each record's line."""
        assert data.header_raw is not None
        return data.header_raw + b"\n" + b"".join(rec.line_bytes for rec in data.records)

    @staticmethod
    def snapshot(session: Session) -> dict[str, Any]:
        """Everything structural a user sees of a session, as plain values."""
        return {
            "nodes": msgspec.to_builtins(session.tree.nodes()),
            "path": session.tree.path_ids(),
            "leafId": session.leaf_id,
            "labels": session.labels,
            "name": session.name,
            "context": Helpers.context_json(session.context()),
        }


@pytest.fixture(scope="session")
def helpers() -> type[Helpers]:
    """The :class:`Helpers` checks."""
    return Helpers


class Lines:
    """Builds small session files line by line, as pi writes them.

    Every entry gets a timestamp one second after the previous one unless one is given.
    """

    def __init__(self) -> None:
        self._second = 0

    def header(self, **fields: Any) -> bytes:
        """A v3 header line (``version`` can be overridden or removed with ``None``)."""
        obj: dict[str, Any] = {
            "type": "session",
            "version": 3,
            "id": "0192f2c8-aaaa-7bbb-8ccc-000000000001",
            "timestamp": "2026-01-05T10:00:00.000Z",
            "cwd": "/home/dev/app",
        }
        obj.update(fields)
        return self.line({k: v for k, v in obj.items() if v is not None})

    def entry(
        self,
        entry_id: str | None,
        parent_id: str | None,
        kind: str = "custom",
        *,
        timestamp: str | None = None,
        **fields: Any,
    ) -> bytes:
        """One entry line; ``kind="custom"`` entries get a ``customType`` unless given."""
        if timestamp is None:
            self._second += 1
            minutes, second = divmod(self._second, 60)
            hour, minute = divmod(minutes, 60)
            timestamp = f"2026-01-05T{hour % 24:02d}:{minute:02d}:{second:02d}.000Z"
        obj: dict[str, Any] = {"type": kind}
        if entry_id is not None:
            obj["id"] = entry_id
        obj["parentId"] = parent_id
        obj["timestamp"] = timestamp
        if kind == "custom" and "customType" not in fields:
            fields["customType"] = "test"
        obj.update(fields)
        return self.line(obj)

    def user(self, entry_id: str, parent_id: str | None, text: str, **fields: Any) -> bytes:
        """A user message entry."""
        message = {"role": "user", "content": text, "timestamp": 1767607200000}
        return self.entry(entry_id, parent_id, "message", message=message, **fields)

    def assistant(
        self, entry_id: str, parent_id: str | None, text: str, model: str = "claude-sonnet-4-5"
    ) -> bytes:
        """An assistant message entry."""
        message = {
            "role": "assistant",
            "content": [{"type": "text", "text": text}],
            "api": "anthropic-messages",
            "provider": "anthropic",
            "model": model,
            "usage": {
                "input": 1,
                "output": 2,
                "cacheRead": 0,
                "cacheWrite": 0,
                "totalTokens": 3,
                "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0},
            },
            "stopReason": "stop",
            "timestamp": 1767607200000,
        }
        return self.entry(entry_id, parent_id, "message", message=message)

    @staticmethod
    def line(obj: Any) -> bytes:
        """Compact JSON plus ``\\n``, non-ASCII written as is (as pi writes)."""
        return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    def session(self, *entries: bytes, **header: Any) -> bytes:
        """A header followed by the given entry lines."""
        return self.header(**header) + b"".join(entries)


@pytest.fixture
def lines() -> Lines:
    """A fresh :class:`Lines` builder."""
    return Lines()
