"""The catalog contract: what every catalog of a store answers, whatever keeps it.

:class:`CatalogContract` is the abstract suite (eventsourcing style); each implementation
subclasses it once with :meth:`CatalogContract.make`: the SQLite catalog on a file, the SQLite
catalog in memory, and the scanning fallback. A later catalog (PostgreSQL) adds one subclass.
The sessions are real files written as pi writes them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import pg_url, postgres_server
from store_builders import PI_REAL, PI_WILD, SHARED, SessionFile, usage

from sesslog.catalog import Catalog, ListQuery, SearchQuery, SessionInfo
from sesslog.catalog.scan import ScanCatalog
from sesslog.catalog.sqlite import SQLiteCatalog
from sesslog.format.timestamps import iso_to_ms, now_ms
from sesslog.store.backend import FolderFiles
from sesslog.write.modes import AutosaveDurabilityMode


class Corpus:
    """Three sessions with known facts: A (a bug fix with tools), B (a failed deploy), C (a
    fork of A that copies A's first response)."""

    def __init__(self, root: Path) -> None:
        a = SessionFile(root, "/home/dev/app", start=36000)
        a.user("Please fix the parser bug in src/app/parser.py")
        first = a.assistant(
            "I will read the parser first",
            use=usage(100, 20, 1000, 50, cost=0.01),
            calls=[("call_a1", "read", {"path": "src/app/parser.py"})],
        )
        a.result("call_a1", "read", "def parse(text): return text.split()")
        a.assistant(
            use=usage(200, 30, cost=0.02),
            calls=[
                ("call_a2", "edit", {"path": "src/app/parser.py", "oldText": "a", "newText": "b"})
            ],
        )
        a.result("call_a2", "edit", "oldText not found", error=True)
        a.assistant(
            use=usage(10, 5, cost=0.005),
            calls=[("call_a3", "write", {"path": "src/app/new.py", "content": "x = 1"})],
            response_id="resp-x",
        )
        a.result("call_a3", "write", "wrote 5 bytes")
        # The same response again (an importer splitting one reply into two entries).
        a.assistant("Done with the parser", use=usage(10, 5, cost=0.005), response_id="resp-x")
        # An identical duplicate of the first line (a resumed agent copying history).
        a.raw(a.path.read_bytes().split(b"\n")[1] + b"\n")
        a.meta(tags=["bug", "parser"], status="completed")
        a.name("Fix the parser")
        self.a, self.a_first = a, first

        b = SessionFile(root, "/home/dev/other", start=2 * 86400 + 3600)
        b.user("Deploy the service to staging")
        b.assistant("Deploying now", model="gpt-5", use=usage(50, 10, cost=0.5), stop="error")
        b.meta(user="ann", tags=["ops"])
        self.b = b

        c = SessionFile(root, "/home/dev/app", start=36000 + 7200, parent=str(a.path))
        lines = a.path.read_bytes().split(b"\n")
        c.raw(lines[1] + b"\n" + lines[2] + b"\n")
        c.leaf = first
        c.user("And now the lexer")
        self.c = c


class CatalogContract:
    """The suite every catalog passes; subclasses say how to make the catalog."""

    def make(self, files: FolderFiles) -> Catalog:
        """A new catalog of ``files``."""
        raise NotImplementedError

    @pytest.fixture
    def root(self, tmp_path: Path) -> Path:
        return tmp_path / "sessions"

    @pytest.fixture
    def files(self, root: Path) -> FolderFiles:
        root.mkdir(exist_ok=True)
        return FolderFiles(root, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)

    @pytest.fixture
    def catalog(self, files: FolderFiles) -> Iterator[Catalog]:
        catalog = self.make(files)
        yield catalog
        catalog.close()

    @pytest.fixture
    def corpus(self, root: Path, catalog: Catalog) -> Corpus:
        corpus = Corpus(root)
        catalog.refresh()
        return corpus

    def info(self, catalog: Catalog, session: SessionFile) -> SessionInfo:
        found = catalog.get(session.key)
        assert found is not None
        return found

    # ------------------------------------------------------------------ facts

    def test_facts_of_a_session(self, catalog: Catalog, corpus: Corpus) -> None:
        a = self.info(catalog, corpus.a)
        assert (a.id, a.cwd, a.path, a.key) == (
            corpus.a.id,
            "/home/dev/app",
            str(corpus.a.path),
            corpus.a.key,
        )
        assert a.title == "Fix the parser"
        assert (a.tags, a.status) == (["bug", "parser"], "completed")
        assert a.entries == 10  # the duplicate line is not an entry
        assert (a.messages, a.roles) == (8, {"user": 1, "assistant": 4, "toolResult": 3})
        assert a.models == ["claude-sonnet-4-5"]
        assert (a.tool_calls, a.tool_errors, a.errors, a.files) == (3, 1, 1, 2)
        assert a.preview == "Please fix the parser bug in src/app/parser.py"
        assert a.created == "2026-01-05T10:00:00.000Z"
        assert a.updated == "2026-01-05T10:00:10.000Z"
        assert a.bytes == corpus.a.path.stat().st_size
        assert a.leaf == corpus.a.leaf
        assert a.error is None

    def test_tokens_and_cost_count_each_response_once(
        self, catalog: Catalog, corpus: Corpus
    ) -> None:
        a = self.info(catalog, corpus.a)
        # Three responses: the second entry of "resp-x" and the duplicate line add nothing.
        assert (a.tokens.input, a.tokens.output) == (310, 55)
        assert (a.tokens.cache_read, a.tokens.cache_write, a.tokens.total) == (1000, 50, 1415)
        assert a.cost == pytest.approx(0.035)
        b = self.info(catalog, corpus.b)
        assert (b.tokens.total, b.cost, b.errors, b.user) == (60, pytest.approx(0.5), 1, "ann")

    def test_details_list_files_and_tool_executions(self, catalog: Catalog, corpus: Corpus) -> None:
        details = catalog.details(corpus.a.key)
        assert details is not None
        assert details.files == ["src/app/parser.py", "src/app/new.py"]
        tools = [(t.call_id, t.tool, t.summary, t.ok, t.duration_ms) for t in details.tools]
        assert tools == [
            ("call_a1", "read", "src/app/parser.py", True, 1000),
            ("call_a2", "edit", "src/app/parser.py", False, 1000),
            ("call_a3", "write", "src/app/new.py", True, 1000),
        ]
        assert details.tools[0].started == "2026-01-05T10:00:02.000Z"
        assert catalog.details("--nowhere--/x.jsonl") is None

    def test_fork_lineage(self, catalog: Catalog, corpus: Corpus) -> None:
        c = self.info(catalog, corpus.c)
        assert c.parent == str(corpus.a.path)
        for ref in (str(corpus.a.path), corpus.a.id):
            assert [i.key for i in catalog.list_sessions(ListQuery(parent=ref))] == [corpus.c.key]

    # ------------------------------------------------------------------ listing

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (ListQuery(), ["b", "c", "a"]),
            (ListQuery(cwd="/home/dev/app"), ["c", "a"]),
            (ListQuery(title="PARSER"), ["a"]),
            (ListQuery(title="nothing like it"), []),
            (ListQuery(tags=("bug",)), ["a"]),
            (ListQuery(tags=("bug", "ops")), []),
            (ListQuery(status="completed"), ["a"]),
            (ListQuery(status="active"), ["b", "c"]),
            (ListQuery(model="gpt-5"), ["b"]),
            (ListQuery(user="ann"), ["b"]),
            (ListQuery(has_errors=True), ["b", "a"]),
            (ListQuery(has_errors=False), ["c"]),
            (ListQuery(order="created", descending=False), ["a", "c", "b"]),
            (ListQuery(order="bytes"), ["a", "c", "b"]),
            (ListQuery(order="cost"), ["b", "a", "c"]),
            (ListQuery(order="entries", descending=False), ["c", "b", "a"]),
            (ListQuery(order="title", descending=False), ["c", "b", "a"]),
            (ListQuery(limit=2), ["b", "c"]),
            (ListQuery(limit=2, offset=2), ["a"]),
            (ListQuery(offset=1), ["c", "a"]),
        ],
    )
    def test_list_filters_and_order(
        self, catalog: Catalog, corpus: Corpus, query: ListQuery, expected: list[str]
    ) -> None:
        names = {getattr(corpus, n).key: n for n in "abc"}
        assert [names[i.key] for i in catalog.list_sessions(query)] == expected
        unpaged = ListQuery(**{**_fields(query), "limit": None, "offset": 0})
        assert catalog.count(query) == len(catalog.list_sessions(unpaged))

    def test_time_ranges(self, catalog: Catalog, corpus: Corpus) -> None:
        day2 = iso_to_ms("2026-01-06T00:00:00.000Z")
        assert [i.key for i in catalog.list_sessions(ListQuery(created_after=day2))] == [
            corpus.b.key
        ]
        early = {i.key for i in catalog.list_sessions(ListQuery(updated_before=day2))}
        assert early == {corpus.a.key, corpus.c.key}
        created = iso_to_ms(self.info(catalog, corpus.a).created)
        exact = ListQuery(created_after=created, created_before=created + 1)
        assert [i.key for i in catalog.list_sessions(exact)] == [corpus.a.key]

    def test_id_prefix(self, catalog: Catalog, corpus: Corpus) -> None:
        found = catalog.list_sessions(ListQuery(id_prefix=corpus.b.id[:-3]))
        assert corpus.b.key in [i.key for i in found]
        assert [i.key for i in catalog.list_sessions(ListQuery(id_prefix=corpus.b.id))] == [
            corpus.b.key
        ]

    # ------------------------------------------------------------------ keeping current

    def test_catch_up_after_appends(self, catalog: Catalog, corpus: Corpus) -> None:
        b = corpus.b
        b.assistant(calls=[("call_b1", "bash", {"command": "make deploy"})], use=usage(7, 3))
        report = catalog.refresh()
        assert (report.caught_up, report.added, report.rebuilt) == (1, 0, 0)
        details = catalog.details(b.key)
        assert details is not None and details.tools[-1].ok is None
        b.result("call_b1", "bash", "deployed", at=b.clock + 5)
        b.meta(status="completed", custom={"ticket": "OPS-7"})
        b.raw(b.path.read_bytes().split(b"\n")[1] + b"\n")  # a duplicate line, appended
        assert catalog.refresh().caught_up == 1
        info = self.info(catalog, b)
        assert (info.status, info.custom, info.tool_calls) == ("completed", {"ticket": "OPS-7"}, 1)
        assert info.entries == 6
        assert info.tokens.total == 70
        details = catalog.details(b.key)
        assert details is not None
        assert (details.tools[-1].ok, details.tools[-1].duration_ms) == (True, 5000)
        assert catalog.refresh().changed is False

    def test_metadata_last_entry_wins(self, catalog: Catalog, corpus: Corpus) -> None:
        a = corpus.a
        a.meta(custom={"k": 1, "j": 2}, purpose="triage")
        a.meta(custom={"k": None}, tags=["done"], purpose=None)
        a.name("Parser fixed")
        catalog.refresh()
        info = self.info(catalog, a)
        assert (info.custom, info.tags, info.purpose, info.title) == (
            {"j": 2},
            ["done"],
            None,
            "Parser fixed",
        )

    def test_a_line_in_progress_waits(self, catalog: Catalog, corpus: Corpus) -> None:
        b = corpus.b
        before = self.info(catalog, b).entries
        b.raw(b'{"type":"message","id":"half","parentId":null,')
        catalog.refresh()
        assert self.info(catalog, b).entries == before
        b.raw(b'"timestamp":"2026-01-07T01:00:00.000Z","message":{"role":"user","content":"hi"}}\n')
        catalog.refresh()
        info = self.info(catalog, b)
        assert (info.entries, info.roles["user"]) == (before + 1, 2)

    def test_rewritten_truncated_and_deleted(self, catalog: Catalog, corpus: Corpus) -> None:
        a, b, c = corpus.a, corpus.b, corpus.c
        data = a.path.read_bytes()
        a.path.write_bytes(data.replace(b"Please fix", b"Kindly fix"))
        lines = b.path.read_bytes().split(b"\n")
        b.path.write_bytes(b"\n".join(lines[:2]) + b"\n")
        c.path.unlink()
        report = catalog.refresh()
        assert (report.rebuilt, report.removed, report.caught_up) == (2, 1, 0)
        assert self.info(catalog, a).preview.startswith("Kindly fix")  # type: ignore[union-attr]
        assert (self.info(catalog, b).entries, self.info(catalog, b).tags) == (1, [])
        assert catalog.get(c.key) is None
        assert catalog.count() == 2

    def test_rebuild_gives_the_same_answers(self, catalog: Catalog, corpus: Corpus) -> None:
        before = (
            catalog.list_sessions(),
            catalog.stats(),
            catalog.search(SearchQuery(text="parser")),
        )
        report = catalog.rebuild()
        assert report.added == 3
        assert (
            catalog.list_sessions(),
            catalog.stats(),
            catalog.search(SearchQuery(text="parser")),
        ) == before

    def test_unreadable_sessions_are_listed_with_their_error(
        self, catalog: Catalog, corpus: Corpus, root: Path
    ) -> None:
        link = corpus.a.path.with_name("2026-01-09T00-00-00-000Z_linked.jsonl")
        link.symlink_to(corpus.b.path)
        catalog.refresh()
        listed = {i.key: i for i in catalog.list_sessions()}
        assert len(listed) == 4
        bad = listed[f"{link.parent.name}/{link.name}"]
        assert bad.id == "linked" and bad.error is not None and "symlink" in bad.error
        assert listed[corpus.a.key].error is None

    # ------------------------------------------------------------------ search

    def test_search_hits_snippets_and_ranking(self, catalog: Catalog, corpus: Corpus) -> None:
        hits = catalog.search(SearchQuery(text="parser"))
        assert {h.session.key for h in hits} == {corpus.a.key, corpus.c.key}
        best = hits[0]
        assert "«parser»" in best.snippet
        assert best.score >= hits[-1].score
        assert all(h.score > 0 for h in hits)
        # the entry where the word is densest ranks first
        corpus.b.user("parser parser parser")
        catalog.refresh()
        hits = catalog.search(SearchQuery(text="parser"))
        assert (hits[0].session.key, hits[0].kind) == (corpus.b.key, "user")
        assert hits[0].snippet == "«parser» «parser» «parser»"
        assert hits[0].line == 5

    def test_search_words_paths_and_commands(self, catalog: Catalog, corpus: Corpus) -> None:
        corpus.b.assistant(calls=[("call_b9", "bash", {"command": "kubectl rollout restart"})])
        catalog.refresh()
        assert [h.kind for h in catalog.search(SearchQuery(text="kubectl"))] == ["tool"]
        tool_hits = catalog.search(SearchQuery(text="src/app/new.py"))
        assert [(h.session.key, h.kind) for h in tool_hits] == [(corpus.a.key, "tool")]
        assert tool_hits[0].snippet == "write «src/app/new.py»"
        both = catalog.search(SearchQuery(text="deploy staging"))
        assert [h.session.key for h in both] == [corpus.b.key]
        assert catalog.search(SearchQuery(text="deploy lexer")) == []
        assert catalog.search(SearchQuery(text="   ")) == []
        assert (
            catalog.search(SearchQuery(text="PARSE", cwd="/home/dev/app"))[0].kind == "toolResult"
        )

    def test_search_scope_and_paging(self, catalog: Catalog, corpus: Corpus) -> None:
        every = catalog.search(SearchQuery(text="parser", limit=100))
        only_c = catalog.search(SearchQuery(text="parser", key=corpus.c.key))
        assert {h.session.key for h in only_c} == {corpus.c.key}
        assert catalog.search(SearchQuery(text="parser", cwd="/home/dev/other")) == []
        paged = catalog.search(SearchQuery(text="parser", limit=2, offset=1))
        assert [(h.session.key, h.entry) for h in paged] == [
            (h.session.key, h.entry) for h in every[1:3]
        ]

    # ------------------------------------------------------------------ search bound

    @pytest.fixture
    def chatter(self, root: Path, catalog: Catalog, corpus: Corpus) -> list[tuple[str, str]]:
        """Seven entries holding "zeta" in three sessions the catalog takes in one at a time,
        the oldest the densest; returns (key, entry) of each, the newest first."""
        made = []
        sessions = [
            ("/home/dev/busy", ["zeta zeta zeta zeta", "zeta zeta zeta", "zeta zeta"]),
            ("/home/dev/quiet", ["a zeta in a long and quiet sentence of many words"]),
            (
                "/home/dev/busy",
                [
                    "one zeta among a great many other words in here",
                    "zeta once more among several other words",
                    "a last zeta with a few words",
                ],
            ),
        ]
        for n, (cwd, texts) in enumerate(sessions):
            session = SessionFile(root, cwd, start=50000 + 3600 * n)
            made += [(session.key, session.user(text)) for text in texts]
            catalog.refresh()
        return made[::-1]

    @staticmethod
    def found(hits: list[Any]) -> list[tuple[str, str]]:
        return [(h.session.key, h.entry) for h in hits]

    def test_search_within_the_bound_ranks_every_match(
        self, catalog: Catalog, chatter: list[tuple[str, str]]
    ) -> None:
        every = catalog.search(SearchQuery(text="zeta", limit=50, bound=None))
        assert (sorted(self.found(every)), every.bounded) == (sorted(chatter), None)
        assert every[0].session.key == chatter[-1][0]  # the densest entry, in the oldest
        for bound in (7, 100):
            hits = catalog.search(SearchQuery(text="zeta", limit=50, bound=bound))
            assert hits.bounded is None
            assert [(h.session.key, h.entry, h.score) for h in hits] == [
                (h.session.key, h.entry, h.score) for h in every
            ]

    def test_search_past_the_bound_ranks_the_newest_matches(
        self, catalog: Catalog, chatter: list[tuple[str, str]]
    ) -> None:
        every = catalog.search(SearchQuery(text="zeta", limit=50, bound=None))
        for bound in (1, 4, 6):
            newest = set(chatter[:bound])
            ranked = [h for h in every if (h.session.key, h.entry) in newest]
            hits = catalog.search(SearchQuery(text="zeta", limit=50, bound=bound))
            assert (self.found(hits), hits.bounded) == (self.found(ranked), bound)
            assert [h.score for h in hits] == pytest.approx([h.score for h in ranked])
        window = catalog.search(SearchQuery(text="zeta", limit=50, bound=4))
        page = catalog.search(SearchQuery(text="zeta", limit=2, offset=1, bound=4))
        assert (self.found(page), page.bounded) == (self.found(window[1:3]), 4)
        past = catalog.search(SearchQuery(text="zeta", offset=4, bound=4))
        assert (list(past), past.bounded) == ([], 4)

    def test_the_search_bound_counts_matches_in_scope(
        self, catalog: Catalog, chatter: list[tuple[str, str]]
    ) -> None:
        busy = catalog.search(SearchQuery(text="zeta", cwd="/home/dev/busy", limit=50, bound=6))
        assert (len(busy), busy.bounded) == (6, None)
        newest = catalog.search(SearchQuery(text="zeta", cwd="/home/dev/busy", bound=5))
        assert newest.bounded == 5
        assert sorted(self.found(newest)) == sorted(chatter[:3] + chatter[4:6])
        one = catalog.search(SearchQuery(text="zeta", key=chatter[0][0], bound=3))
        assert (sorted(self.found(one)), one.bounded) == (sorted(chatter[:3]), None)
        assert catalog.search(SearchQuery(text="zeta", key=chatter[0][0], bound=2)).bounded == 2

    # ------------------------------------------------------------------ statistics

    def test_store_stats(self, catalog: Catalog, corpus: Corpus) -> None:
        stats = catalog.stats()
        assert (stats.sessions, stats.unreadable) == (3, 0)
        assert stats.entries == 10 + 3 + 3
        assert stats.bytes == sum(getattr(corpus, n).path.stat().st_size for n in "abc")
        # C copies A's first response: counted once across the store.
        assert stats.responses == 4
        assert (stats.tokens.total, stats.cost) == (1415 + 60, pytest.approx(0.535))
        models = {m.model: (m.responses, m.tokens.total) for m in stats.models}
        assert models == {"claude-sonnet-4-5": (3, 1415), "gpt-5": (1, 60)}
        assert [m.model for m in stats.models] == ["claude-sonnet-4-5", "gpt-5"]
        tools = {t.tool: (t.calls, t.errors, t.mean_ms) for t in stats.tools}
        assert tools == {"read": (1, 0, 1000.0), "edit": (1, 1, 1000.0), "write": (1, 0, 1000.0)}
        days = {d.day: (d.sessions, d.messages, d.responses) for d in stats.days}
        assert days == {"2026-01-05": (2, 8 + 3, 3), "2026-01-07": (1, 2, 1)}
        assert [i.key for i in stats.largest][:1] == [corpus.a.key]
        assert [i.key for i in stats.costliest][:2] == [corpus.b.key, corpus.a.key]

    def test_status(self, catalog: Catalog, corpus: Corpus) -> None:
        status = catalog.status()
        assert status.sessions == 3
        assert status.kind in ("sqlite", "scan", "postgresql")

    def test_an_empty_store(self, catalog: Catalog) -> None:
        assert catalog.refresh().checked == 0
        assert (catalog.list_sessions(), catalog.count()) == ([], 0)
        stats = catalog.stats()
        assert (stats.sessions, stats.responses, stats.days, stats.largest) == (0, 0, [], [])


def _fields(query: ListQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__struct_fields__}


class TestSQLiteCatalog(CatalogContract):
    """The SQLite catalog in a file."""

    def make(self, files: FolderFiles) -> Catalog:
        return SQLiteCatalog(files, str(files.root / "catalog.sqlite"), root=str(files.root))


class TestSQLiteCatalogInMemory(CatalogContract):
    """The SQLite catalog in memory."""

    def make(self, files: FolderFiles) -> Catalog:
        return SQLiteCatalog(files, ":memory:", root="memory")


class TestScanCatalog(CatalogContract):
    """The scanning fallback."""

    def make(self, files: FolderFiles) -> Catalog:
        return ScanCatalog(files)


class TestPostgresCatalog(CatalogContract):
    """The PostgreSQL catalog on a real server (a fresh database per test)."""

    @pytest.fixture(autouse=True)
    def _database(self, pg_url: str) -> None:
        self.url = pg_url

    def make(self, files: FolderFiles) -> Catalog:
        from sesslog.catalog.postgres import PostgresCatalog

        return PostgresCatalog(self.url, files, source=str(files.root))


__all__ = ["pg_url", "postgres_server"]  # the server fixtures the PostgreSQL subclass uses


def test_the_fixtures_give_the_same_answers_from_every_catalog(tmp_path: Path) -> None:
    """SQLite and scanning agree on real pi sessions (listing, search, statistics)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED}")
    folder = tmp_path / "--real--"
    folder.mkdir()
    for source in [*PI_REAL.glob("*.jsonl"), *PI_WILD.glob("*.jsonl")]:
        shutil.copy(source, folder / source.name)
    files = FolderFiles(tmp_path, durability=AutosaveDurabilityMode.BALANCED, clock=now_ms)
    answers = []
    for catalog in (SQLiteCatalog(files, ":memory:", root="x"), ScanCatalog(files)):
        catalog.refresh()
        hits = catalog.search(SearchQuery(text="file edit", limit=50))
        answers.append(
            (
                catalog.list_sessions(),
                catalog.stats(),
                [(h.session.key, h.entry, h.kind) for h in hits],
                [h.score for h in hits],
            )
        )
        catalog.close()
    assert answers[0][0] == answers[1][0]
    assert answers[0][2] == answers[1][2]
    # Scores agree closely (the fallback's tokenizer differs only on symbols newer than
    # Unicode 6.1, such as some emoji, which shifts the mean document length slightly).
    assert answers[0][3] == pytest.approx(answers[1][3], rel=1e-3)
    sqlite_stats, scan_stats = answers[0][1], answers[1][1]
    assert sqlite_stats.cost == pytest.approx(scan_stats.cost)
    assert [d.day for d in sqlite_stats.days] == [d.day for d in scan_stats.days]
    assert sqlite_stats.tools == scan_stats.tools
    assert sqlite_stats.tokens == scan_stats.tokens
