"""The session source contract: a session is the same whatever it was read from.

:class:`SessionSourceContract` opens sample sessions (clean and branchy, damaged, legacy)
through one source and compares everything a user sees with the session read from the same
bytes: records, tree, leaf, labels, name, diagnostics and context. Sources: the JSONL file, the
memory backend, and the V2 sidecar in each open scope (a partial scope gives the loaded part of
the path, with the whole session's labels, name and diagnostics). A source that reorders lines
must fail it.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from contract_helpers import SAMPLES

from sesslog import OpenScope, Session, SessionStoreKind
from sesslog.backends.memory import MemoryBackend
from sesslog.format.reader import read_bytes
from sesslog.v2 import migrate_jsonl_to_v2

SMALL = {"frame_size": 32 * 1024, "segment_size": 24 * 1024}


def _view(session: Session) -> dict[str, object]:
    """What a user sees of a session that does not depend on how much of it was loaded."""
    return {
        "header": session.header_raw,
        "version": session.file_version,
        "leaf": session.leaf_id,
        "labels": session.labels,
        "name": session.name,
        "diagnostics": msgspec.to_builtins(session.diagnostics.diagnostics),
    }


class SessionSourceContract:
    """The suite. A subclass defines :meth:`open` and :attr:`kind`, and a partial source its
    :attr:`scope`."""

    #: The ``store_kind`` of sessions this source gives.
    kind: SessionStoreKind
    #: How much of the session this source loads.
    scope = OpenScope.full()

    def open(self, data: bytes, tmp_path: Path) -> Session:
        """The session held by ``data``, read through this source."""
        raise NotImplementedError

    @pytest.mark.parametrize("sample", sorted(SAMPLES))
    def test_the_session_is_the_one_its_bytes_hold(self, sample: str, tmp_path: Path) -> None:
        data = SAMPLES[sample]
        reference = Session.from_data(read_bytes(data))
        session = self.open(data, tmp_path)
        assert session.store_kind == self.kind
        assert _view(session) == _view(reference)
        path = reference.tree.path()
        if self.scope.kind == "full":
            assert list(session.tree) == list(reference.tree)
            assert msgspec.to_builtins(session.tree.nodes()) == msgspec.to_builtins(
                reference.tree.nodes()
            )
            assert session.branches() == reference.branches()
        elif self.scope.kind == "active_path":
            assert list(session.tree) == path
        else:
            assert list(session.tree) == path[-self.scope.count :]
        if self.scope.kind != "tail":  # the context needs the path from the root
            assert session.context().to_json() == reference.context().to_json()
        assert session.read_only == (reference.read_only or self.scope.kind != "full")


# ---------------------------------------------------------------------- the implementations


class TestJsonlFile(SessionSourceContract):
    kind = SessionStoreKind.JSONL

    def open(self, data: bytes, tmp_path: Path) -> Session:
        path = tmp_path / "s.jsonl"
        path.write_bytes(data)
        return Session.open(path, sidecar=False)


class TestMemoryLog(SessionSourceContract):
    kind = SessionStoreKind.MEMORY

    def open(self, data: bytes, tmp_path: Path) -> Session:
        backend = MemoryBackend()
        backend.create("s.jsonl", data).close()
        return Session.open("s.jsonl", backend=backend)


class _V2Sidecar(SessionSourceContract):
    kind = SessionStoreKind.V2_SIDECAR

    def open(self, data: bytes, tmp_path: Path) -> Session:
        path = tmp_path / "s.jsonl"
        path.write_bytes(data)
        migrate_jsonl_to_v2(path, **SMALL)
        return Session.open(path, scope=self.scope)


class TestV2SidecarFull(_V2Sidecar):
    pass


class TestV2SidecarActivePath(_V2Sidecar):
    scope = OpenScope.active_path()


class TestV2SidecarTail(_V2Sidecar):
    scope = OpenScope.tail(7)


# ---------------------------------------------------------------------- the suite can fail


class _ReorderedReads(MemoryBackend):
    """Broken on purpose: reads give two entry lines in swapped order."""

    def read(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        lines = super().read(key, offset, length).splitlines(keepends=True)
        lines[2], lines[3] = lines[3], lines[2]
        return b"".join(lines)


def test_the_suite_fails_a_source_that_reorders_lines(tmp_path: Path) -> None:
    class Suite(TestMemoryLog):
        def open(self, data: bytes, tmp_path: Path) -> Session:
            backend = _ReorderedReads()
            backend.create("s.jsonl", data).close()
            return Session.open("s.jsonl", backend=backend)

    with pytest.raises(AssertionError):
        Suite().test_the_session_is_the_one_its_bytes_hold("branchy", tmp_path)
    TestMemoryLog().test_the_session_is_the_one_its_bytes_hold("branchy", tmp_path)
