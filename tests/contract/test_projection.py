"""The session projection contract: fresh, stale, caught up, rebuilt, corrupt.

:class:`ProjectionContract` drives a session projection through its life against a real log:
missing until built; fresh once built (and then it opens the same session as the log); stale
when the log grows (never used, and caught up by reading the new bytes); unconfirmed when the
log is touched; changed when the log is rewritten (rebuilt); never used once damaged. It runs
against the V2 sidecar; a catalog (a store projection) is held to the same freshness rules
through :func:`sesslog.projections.freshness.compare`. A projection that serves stale data
must fail it.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest
from contract_helpers import SAMPLES

from sesslog import OpenScope, ProjectionError, Session, SessionStoreKind
from sesslog.backends.local import LocalFolder
from sesslog.backends.protocol import LogBackend
from sesslog.format.reader import ReadMode
from sesslog.projections import registry
from sesslog.projections.protocol import Loaded, SessionProjection
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2.projection import V2Sidecar

FULL = OpenScope.full()
#: A projection built for a log: the projection, the backend and the key.
Built = tuple[SessionProjection, LogBackend, str]


def _path(backend: LogBackend, key: str) -> Path:
    path = backend.local_path(key)
    assert path is not None
    return path


def _same(loaded: Loaded, session: Session) -> None:
    """A full load gives the session read from the log."""
    from_projection = Session.from_data(loaded.data)
    assert list(from_projection.tree) == list(session.tree)
    assert msgspec.to_builtins(from_projection.tree.nodes()) == msgspec.to_builtins(
        session.tree.nodes()
    )
    assert from_projection.diagnostics.diagnostics == session.diagnostics.diagnostics
    assert from_projection.context().to_json() == session.context().to_json()


class ProjectionContract:
    """The suite. A subclass defines :meth:`projection` and :meth:`damage`."""

    def projection(self) -> SessionProjection:
        raise NotImplementedError

    def damage(self, backend: LogBackend, key: str) -> None:
        """Break the projection's stored data for the log."""
        raise NotImplementedError

    @pytest.fixture
    def log(self, tmp_path: Path) -> tuple[LogBackend, str]:
        path = tmp_path / "s.jsonl"
        path.write_bytes(SAMPLES["branchy"])
        return LocalFolder.for_file(path)

    @pytest.fixture
    def built(self, log: tuple[LogBackend, str]) -> Built:
        projection = self.projection()
        projection.rebuild(*log)
        return projection, *log

    @staticmethod
    def _read(backend: LogBackend, key: str) -> Session:
        return Session.open(key, backend=backend, sidecar=False)

    @staticmethod
    def _refused(built: Built, state: str) -> None:
        """The projection is not fresh (in ``state``) and refuses to load."""
        projection, backend, key = built
        assert projection.freshness(backend, key).state == state
        with pytest.raises(ProjectionError):
            projection.load(backend, key, FULL, ReadMode.TOLERANT)

    def _fresh(self, built: Built) -> None:
        """The projection is fresh and loads the session the log holds."""
        projection, backend, key = built
        assert projection.freshness(backend, key).state == "fresh"
        _same(projection.load(backend, key, FULL, ReadMode.TOLERANT), self._read(backend, key))

    def test_missing_until_built_then_fresh(self, log: tuple[LogBackend, str]) -> None:
        backend, key = log
        projection = self.projection()
        self._refused((projection, backend, key), "missing")
        projection.rebuild(backend, key)
        self._fresh((projection, backend, key))
        tail = projection.load(backend, key, OpenScope.tail(5), ReadMode.TOLERANT)
        assert tail.partial is not None and len(tail.partial) == 5
        assert Session.open(key, backend=backend).store_kind == projection.name

    def test_stale_after_appends_until_caught_up(self, built: Built) -> None:
        projection, backend, key = built
        writer = self._read(backend, key)
        for number in range(5):
            writer.append_custom("more", {"n": number})
        writer.close()
        self._refused(built, "grew")
        assert projection.freshness(backend, key).size == backend.stat(key).size
        opened = Session.open(key, backend=backend)
        assert opened.store_kind == backend.kind and len(opened) == len(writer)
        projection.catch_up(backend, key)
        self._fresh(built)

    def test_a_touched_log_is_checked_again(self, built: Built) -> None:
        projection, backend, key = built
        os.utime(_path(backend, key), ns=(1, 1))
        self._refused(built, "unconfirmed")
        projection.catch_up(backend, key)  # the bytes are checked, the new identity recorded
        self._fresh(built)

    def test_a_rewritten_log_needs_a_rebuild(self, built: Built) -> None:
        projection, backend, key = built
        path = _path(backend, key)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2].rsplit(b"\n", 1)[0] + b"\n")
        self._refused(built, "changed")
        projection.rebuild(backend, key)
        self._fresh(built)

    def test_a_damaged_projection_is_never_used(self, built: Built) -> None:
        projection, backend, key = built
        self.damage(backend, key)
        with pytest.raises(ProjectionError):
            projection.load(backend, key, FULL, ReadMode.TOLERANT)
        opened = Session.open(key, backend=backend)
        assert opened.store_kind == backend.kind
        assert list(opened.tree) == list(self._read(backend, key).tree)
        projection.rebuild(backend, key)
        self._fresh(built)


# ---------------------------------------------------------------------- the implementations


class TestV2Sidecar(ProjectionContract):
    def projection(self) -> SessionProjection:
        found = registry.session_projection(SessionStoreKind.V2_SIDECAR.value)
        assert isinstance(found, V2Sidecar)
        return found

    def damage(self, backend: LogBackend, key: str) -> None:
        segment = sidecar_folder(_path(backend, key)) / "seg-000000.zst"
        data = bytearray(segment.read_bytes())
        data[len(data) // 2] ^= 0xFF
        segment.write_bytes(bytes(data))


def test_the_registry_loads_the_sidecar_code_only_when_a_sidecar_exists(tmp_path: Path) -> None:
    entry = next(e for e in registry.entries("session") if e.name == "v2_sidecar")
    backend, key = LocalFolder.for_file(tmp_path / "s.jsonl")
    assert not entry.probe(backend, key)
    sidecar_folder(tmp_path / "s.jsonl").mkdir()
    assert entry.probe(backend, key)
    assert entry.implementation == "sesslog.v2.projection:V2_SIDECAR"


# ---------------------------------------------------------------------- the suite can fail


class _ServesStale(V2Sidecar):
    """Broken on purpose: loads whatever the sidecar holds, fresh or not."""

    def load(self, backend: LogBackend, key: str, scope: OpenScope, mode: ReadMode) -> Loaded:
        from sesslog.v2.opening import load_sidecar
        from sesslog.v2.store import Sidecar

        path = _path(backend, key)
        try:
            sidecar = Sidecar(sidecar_folder(path))
        except FileNotFoundError:
            raise ProjectionError("no sidecar") from None
        with sidecar:
            return load_sidecar(sidecar, path, scope, mode)


def test_the_suite_fails_a_projection_that_serves_stale_data(tmp_path: Path) -> None:
    class Suite(TestV2Sidecar):
        def projection(self) -> SessionProjection:
            return _ServesStale()

    path = tmp_path / "s.jsonl"
    path.write_bytes(SAMPLES["branchy"])
    backend, key = LocalFolder.for_file(path)
    suite = Suite()
    projection = suite.projection()
    projection.rebuild(backend, key)
    with pytest.raises(pytest.fail.Exception):
        suite.test_stale_after_appends_until_caught_up((projection, backend, key))
