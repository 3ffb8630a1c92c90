"""The PostgreSQL catalog's schema, as an ordered chain of migrations.

Each migration is one SQL script applied in its own transaction and recorded in
``sesslog_migrations``; :func:`migrate` applies those not yet recorded, in order, under a
transaction-level advisory lock, so many agents starting at once migrate once. A database whose
recorded version is newer than this code knows is refused (an older sesslog never writes to a
schema it does not understand).

The tables mirror the SQLite catalog's (``sessions``, ``tools``, ``responses``, ``activity``,
``docs``), plus ``files`` (paths the agent touched), ``writer_leases`` (one writer per session
across machines, see :mod:`sesslog.catalog.postgres.leases`) and trash as a column.

Full text: ``docs.tsv`` is ``to_tsvector('simple', text)`` with a GIN index. ``simple`` lower-
cases words without stemming, as the SQLite catalog's ``unicode61`` tokenizer does: identifiers
and code search as written. PostgreSQL's parser splits a path ``src/app/main.py`` into the file
token ``src/app/main.py`` only, so a path or command part is found through the ``pg_trgm`` GIN
indexes on ``files.path`` and ``tools.summary`` (substring and similarity search), which are
short; prose is not trigram-indexed (a trigram index is two to three times the text: see
docs/scale.md).
"""

from __future__ import annotations

from typing import Any

import psycopg

__all__ = ["MIGRATIONS", "SchemaTooNewError", "current_version", "migrate"]

_LOCK_ID = 0x5E551065  # advisory lock number of sesslog migrations

MIGRATIONS: tuple[str, ...] = (
    # 1: the catalog and the writer leases.
    """
    CREATE EXTENSION IF NOT EXISTS pg_trgm;

    CREATE TABLE sessions (
        sid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key text NOT NULL UNIQUE,
        id text NOT NULL,
        cwd text NOT NULL DEFAULT '',
        title text,
        status text NOT NULL DEFAULT 'active',
        purpose text,
        "user" text,
        parent text,
        leaf text,
        tags text[] NOT NULL DEFAULT '{}',
        models text[] NOT NULL DEFAULT '{}',
        agents text[] NOT NULL DEFAULT '{}',
        custom jsonb NOT NULL DEFAULT '{}',
        roles jsonb NOT NULL DEFAULT '{}',
        created timestamptz NOT NULL,
        updated timestamptz NOT NULL,
        entries integer NOT NULL DEFAULT 0,
        messages integer NOT NULL DEFAULT 0,
        bytes bigint NOT NULL DEFAULT 0,
        tokens_input bigint NOT NULL DEFAULT 0,
        tokens_output bigint NOT NULL DEFAULT 0,
        tokens_cache_read bigint NOT NULL DEFAULT 0,
        tokens_cache_write bigint NOT NULL DEFAULT 0,
        cost double precision NOT NULL DEFAULT 0,
        tool_calls integer NOT NULL DEFAULT 0,
        tool_errors integer NOT NULL DEFAULT 0,
        errors integer NOT NULL DEFAULT 0,
        files integer NOT NULL DEFAULT 0,
        preview text,
        error text,
        trashed_at timestamptz,
        source_size bigint NOT NULL DEFAULT 0,
        source_prefix text NOT NULL DEFAULT '',
        state bytea
    );
    CREATE INDEX sessions_updated ON sessions (updated DESC) WHERE trashed_at IS NULL;
    CREATE INDEX sessions_cwd ON sessions (cwd, updated DESC) WHERE trashed_at IS NULL;
    CREATE INDEX sessions_id ON sessions (id text_pattern_ops);
    CREATE INDEX sessions_tags ON sessions USING gin (tags);
    CREATE INDEX sessions_trashed ON sessions (trashed_at) WHERE trashed_at IS NOT NULL;

    CREATE TABLE tools (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        seq integer NOT NULL,
        call_id text NOT NULL,
        tool text NOT NULL,
        summary text NOT NULL,
        entry text NOT NULL,
        ok boolean,
        started timestamptz,
        duration_ms integer,
        PRIMARY KEY (sid, seq)
    );
    CREATE INDEX tools_summary_trgm ON tools USING gin (summary gin_trgm_ops);

    CREATE TABLE files (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        path text NOT NULL,
        PRIMARY KEY (sid, path)
    );
    CREATE INDEX files_path_trgm ON files USING gin (path gin_trgm_ops);

    CREATE TABLE responses (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        key text NOT NULL,
        model text NOT NULL,
        day date NOT NULL,
        input bigint NOT NULL,
        output bigint NOT NULL,
        cache_read bigint NOT NULL,
        cache_write bigint NOT NULL,
        total bigint NOT NULL,
        cost double precision NOT NULL,
        PRIMARY KEY (sid, key)
    );

    CREATE TABLE activity (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        day date NOT NULL,
        messages integer NOT NULL,
        PRIMARY KEY (sid, day)
    );

    CREATE TABLE docs (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        n integer NOT NULL,
        entry text NOT NULL,
        kind text NOT NULL,
        line integer NOT NULL,
        text text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
        PRIMARY KEY (sid, n)
    );
    CREATE INDEX docs_tsv ON docs USING gin (tsv);

    CREATE TABLE writer_leases (
        key text PRIMARY KEY,
        fence bigint NOT NULL,
        host text NOT NULL,
        pid integer NOT NULL,
        token uuid NOT NULL,
        acquired_at timestamptz NOT NULL,
        renewed_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
    );
    """,
    # 2: the catalog tables as the catalog writes them (version 1's were never written to).
    # Fingerprint, fold state and position per session as msgpack (read only to catch up),
    # the listing facts as JSON (``summary``, handed out as they are), times as Unix
    # milliseconds (the catalog's queries compare them exactly), documents with a tsvector
    # the catalog builds itself from the shared tokenizer, and trash as a time.
    """
    DROP TABLE docs, activity, responses, files, tools, sessions;

    CREATE TABLE sessions (
        sid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key text NOT NULL UNIQUE,
        source text NOT NULL,
        id text NOT NULL,
        cwd text NOT NULL,
        title text,
        status text NOT NULL,
        "user" text,
        parent text,
        tags text[] NOT NULL,
        models text[] NOT NULL,
        created_ms bigint NOT NULL,
        updated_ms bigint NOT NULL,
        entries integer NOT NULL,
        messages integer NOT NULL,
        bytes bigint NOT NULL,
        cost double precision NOT NULL,
        errors integer NOT NULL,
        error text,
        summary bytea NOT NULL,
        fingerprint bytea NOT NULL,
        state bytea NOT NULL,
        position bytea NOT NULL,
        trashed_at timestamptz
    );
    CREATE INDEX sessions_updated ON sessions (updated_ms DESC, key COLLATE "C")
        WHERE trashed_at IS NULL;
    CREATE INDEX sessions_cwd ON sessions (cwd, updated_ms DESC) WHERE trashed_at IS NULL;
    CREATE INDEX sessions_id ON sessions (id text_pattern_ops);
    CREATE INDEX sessions_source ON sessions (source);
    CREATE INDEX sessions_tags ON sessions USING gin (tags);
    CREATE INDEX sessions_trashed ON sessions (trashed_at) WHERE trashed_at IS NOT NULL;

    CREATE TABLE seen (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        key text NOT NULL,
        PRIMARY KEY (sid, key)
    );

    CREATE TABLE tools (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        seq integer NOT NULL,
        call_id text NOT NULL,
        tool text NOT NULL,
        summary text NOT NULL,
        entry text NOT NULL,
        ok boolean,
        started_ms bigint,
        duration_ms bigint,
        PRIMARY KEY (sid, seq)
    );
    CREATE INDEX tools_call ON tools (sid, call_id);

    CREATE TABLE responses (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        key text NOT NULL,
        model text NOT NULL,
        day text NOT NULL,
        input bigint NOT NULL,
        output bigint NOT NULL,
        cache_read bigint NOT NULL,
        cache_write bigint NOT NULL,
        total bigint NOT NULL,
        cost double precision NOT NULL,
        PRIMARY KEY (sid, key)
    );

    CREATE TABLE activity (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        day text NOT NULL,
        messages integer NOT NULL,
        PRIMARY KEY (sid, day)
    );

    CREATE TABLE docs (
        sid bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
        n integer NOT NULL,
        entry text NOT NULL,
        kind text NOT NULL,
        line integer NOT NULL,
        text text NOT NULL,
        tsv tsvector NOT NULL,
        PRIMARY KEY (sid, n)
    );
    CREATE INDEX docs_tsv ON docs USING gin (tsv);
    """,
)


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer sesslog than this one."""


def _ensure_ledger(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS sesslog_migrations ("
        " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )


def current_version(conn: psycopg.Connection[Any]) -> int:
    """The highest migration applied to the database (``0``: none)."""
    exists = conn.execute("SELECT to_regclass('sesslog_migrations') IS NOT NULL").fetchone()
    if exists is None or not exists[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM sesslog_migrations").fetchone()
    return int(row[0]) if row is not None else 0


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the migrations the database lacks, each in its own transaction.

    Returns:
        The versions applied now (empty when the schema was current).

    Raises:
        SchemaTooNewError: The database has a version this code does not know.
    """
    applied: list[int] = []
    for version, script in enumerate(MIGRATIONS, start=1):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            _ensure_ledger(conn)
            have = current_version(conn)
            if have > len(MIGRATIONS):
                raise SchemaTooNewError(
                    f"catalog schema version {have} is newer than this sesslog "
                    f"knows ({len(MIGRATIONS)}); upgrade sesslog"
                )
            if have >= version:
                continue
            conn.execute(script)
            conn.execute("INSERT INTO sesslog_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied
