"""The catalog plugs in as a store projection: a store gets its catalog from the projection
registry, and the projection serves the seam's StoreProjection interface over any LogBackend
(the memory backend here)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from sesslog.backends.memory import MemoryBackend
from sesslog.catalog.projection import CATALOG, CatalogProjection
from sesslog.catalog.types import SearchQuery
from sesslog.errors import ProjectionError
from sesslog.projections import registry
from sesslog.projections.protocol import StoreProjection
from sesslog.store import SessionStore

HEADER = (
    b'{"type":"session","version":3,"id":"a1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w"}\n'
)


def _message(n: int, text: str) -> bytes:
    parent = "null" if n == 1 else f'"m{n - 1}"'
    return (
        f'{{"type":"message","id":"m{n}","parentId":{parent},'
        f'"timestamp":"2026-01-05T10:00:0{n}.000Z","message":{{"role":"user",'
        f'"content":"{text}","timestamp":0}}}}\n'
    ).encode()


class CountingProjection(CatalogProjection):
    """The catalog projection, counting the stores it opened catalogs for."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[object] = []

    def open(self, files: Any, folder: Any, *, root: str) -> Any:
        self.opened.append(folder)
        return super().open(files, folder, root=root)


@pytest.fixture
def replaced() -> Any:
    counting = CountingProjection()
    original = registry.unregister("catalog")
    assert original is not None
    registry.register(registry.Entry("catalog", "store", original.probe, "unused:unused"))
    entry = next(e for e in registry.entries("store") if e.name == "catalog")
    entry._loaded = counting
    yield counting
    registry.register(original)


def test_the_catalog_is_registered_as_a_store_projection() -> None:
    entry = next(e for e in registry.entries("store") if e.name == "catalog")
    assert entry.implementation == "sesslog.catalog.projection:CATALOG"
    found = registry.store_projection("catalog")
    assert found is CATALOG
    for name in ("freshness", "refresh", "forget", "rebuild"):  # the seam's interface
        wanted = inspect.signature(getattr(StoreProjection, name))
        assert list(inspect.signature(getattr(CatalogProjection, name)).parameters) == list(
            wanted.parameters
        )
    assert CATALOG.name == "catalog"
    with pytest.raises(ProjectionError):
        registry.session_projection("catalog")
    with pytest.raises(ProjectionError):
        registry.store_projection("v2_sidecar")


def test_the_probe_sees_a_stores_catalog_file(tmp_path: Path) -> None:
    from sesslog.backends.local import LocalFolder

    entry = next(e for e in registry.entries("store") if e.name == "catalog")
    assert entry.probe(LocalFolder(tmp_path), "") is False
    SessionStore(tmp_path).close()
    assert entry.probe(LocalFolder(tmp_path), "") is True
    assert entry.probe(MemoryBackend(), "") is False


def test_stores_get_their_catalog_through_the_registry(replaced: Any, tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.create("/w", title="Through the registry").close()
    assert [i.title for i in store.list()] == ["Through the registry"]
    memory = SessionStore.in_memory()
    memory.create("/w", title="In memory").close()
    assert [i.title for i in memory.list()] == ["In memory"]
    assert replaced.opened == [tmp_path / ".sesslog", None]
    store.close()
    memory.close()


def test_a_store_refuses_a_catalog_entry_that_cannot_open_a_catalog(tmp_path: Path) -> None:
    original = registry.unregister("catalog")
    assert original is not None
    registry.register(registry.Entry("catalog", "store", original.probe, "sesslog:SesslogError"))
    try:
        with pytest.raises(ProjectionError):
            SessionStore(tmp_path)
    finally:
        registry.register(original)


def test_the_projection_over_a_memory_backend() -> None:
    backend = MemoryBackend()
    projection = CatalogProjection()
    key = "--w--/2026-01-05T10-00-00-000Z_a1.jsonl"
    assert projection.freshness(backend, key).state == "missing"
    writer = backend.create(key, HEADER + _message(1, "the lexer drops a token"))
    assert projection.freshness(backend, key).state == "missing"  # no record yet
    assert projection.refresh(backend, key).added == 1
    assert projection.freshness(backend, key).state == "fresh"

    writer.write_lines(_message(2, "fixed in the parser").rstrip(b"\n"), sync=True)
    assert projection.freshness(backend, key).state == "grew"
    report = projection.refresh(backend, key)
    assert report.caught_up == 1 and report.added == 0
    catalog = projection.catalog_of(backend)
    assert catalog.get(key).entries == 2
    hits = catalog.search(SearchQuery(text="parser"))
    assert [h.entry for h in hits] == ["m2"] and "«parser»" in hits[0].snippet
    writer.close()

    backend.delete(key)
    projection.forget(backend, key)
    assert catalog.get(key) is None
    backend.create(key, HEADER).close()
    assert projection.rebuild(backend).added == 1
    projection.close()
