"""Analytics export: a store's sessions as Parquet files that DuckDB (or pandas, Polars,
Spark) queries directly.

:func:`export_parquet` writes four files into a folder:

* ``sessions.parquet``: one row per session, its listing facts (from the store's catalog);
* ``entries.parquet``: one row per entry (id, parent, type, role, provider, model, time, line);
* ``tool_executions.parquet``: one row per tool call (tool, argument summary, outcome, start,
  end and duration);
* ``usage.parquet``: one row per assistant response with usage (model, UTC day, tokens, cost).

Times are ``timestamp[ms, UTC]``; ``usage.day`` is a ``date32``. Each file is written beside
its final name and moved into place when complete, so a reader never sees half a file.
Requires ``pyarrow`` (the ``analytics`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from sesslog.analytics.rows import Seen, fold_session, session_row, tool_rows, usage_rows
from sesslog.catalog.types import ListQuery
from sesslog.store.core import StoreCore

__all__ = ["SCHEMAS", "ExportReport", "export_parquet"]

_TIME = pa.timestamp("ms", tz="UTC")
_TOKENS = [
    ("input_tokens", pa.int64()),
    ("output_tokens", pa.int64()),
    ("cache_read_tokens", pa.int64()),
    ("cache_write_tokens", pa.int64()),
    ("total_tokens", pa.int64()),
]

#: The schema of each file, by table name.
SCHEMAS: dict[str, pa.Schema] = {
    "sessions": pa.schema(
        [
            ("session_id", pa.string()),
            ("key", pa.string()),
            ("path", pa.string()),
            ("cwd", pa.string()),
            ("title", pa.string()),
            ("status", pa.string()),
            ("user", pa.string()),
            ("parent", pa.string()),
            ("tags", pa.list_(pa.string())),
            ("models", pa.list_(pa.string())),
            ("created", _TIME),
            ("updated", _TIME),
            ("entries", pa.int64()),
            ("messages", pa.int64()),
            ("bytes", pa.int64()),
            *_TOKENS,
            ("cost", pa.float64()),
            ("tool_calls", pa.int64()),
            ("tool_errors", pa.int64()),
            ("errors", pa.int64()),
            ("files", pa.int64()),
            ("error", pa.string()),
        ]
    ),
    "entries": pa.schema(
        [
            ("session_id", pa.string()),
            ("entry_id", pa.string()),
            ("parent_id", pa.string()),
            ("type", pa.string()),
            ("role", pa.string()),
            ("provider", pa.string()),
            ("model", pa.string()),
            ("timestamp", _TIME),
            ("line", pa.int64()),
            ("bytes", pa.int64()),
        ]
    ),
    "tool_executions": pa.schema(
        [
            ("session_id", pa.string()),
            ("call_id", pa.string()),
            ("tool", pa.string()),
            ("summary", pa.string()),
            ("entry_id", pa.string()),
            ("ok", pa.bool_()),
            ("started", _TIME),
            ("ended", _TIME),
            ("duration_ms", pa.int64()),
        ]
    ),
    "usage": pa.schema(
        [
            ("session_id", pa.string()),
            ("response", pa.string()),
            ("model", pa.string()),
            ("day", pa.date32()),
            *_TOKENS,
            ("cost", pa.float64()),
        ]
    ),
}

#: Rows kept in memory per table before they are written as one row group.
BATCH_ROWS = 50_000


class ExportReport(msgspec.Struct, kw_only=True):
    """What an export wrote.

    Attributes:
        folder: Where the files are.
        files: The file of each table.
        rows: Rows written per table.
        unreadable: Sessions listed whose bytes could not be read (their ``sessions`` row is
            written, with the catalog's error).
    """

    folder: str
    files: dict[str, str]
    rows: dict[str, int]
    unreadable: int = 0


class _Table:
    """One Parquet file being written: rows gathered, written in row groups."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.final = folder / f"{name}.parquet"
        self.part = folder / f".{name}.parquet.part"
        self.schema = SCHEMAS[name]
        self.writer = pq.ParquetWriter(self.part, self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def finish(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.part, self.final)

    def abandon(self) -> None:
        self.writer.close()
        self.part.unlink(missing_ok=True)


def export_parquet(
    store: StoreCore,
    folder: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write the store's sessions as Parquet files into ``folder`` (created when missing;
    files of the same names are replaced).

    Args:
        store: The store (its catalog is refreshed first).
        folder: Where to write.
        progress: Called with (sessions done, sessions in all) after each session.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    store.refresh()
    sessions = store.catalog.list_sessions(ListQuery(order="created", descending=False))
    tables = {name: _Table(name, target) for name in SCHEMAS}
    seen = Seen()
    unreadable = 0
    try:
        for number, info in enumerate(sessions, start=1):
            tables["sessions"].add([session_row(info)])
            data = None
            if info.error is None:
                try:
                    data = store.files.read(info.key)
                except OSError:
                    data = None
            if data is None:
                unreadable += 1
            else:
                fold, entries = fold_session(data, info.path)
                tables["entries"].add(entries)
                tables["tool_executions"].add(tool_rows(fold, seen))
                tables["usage"].add(usage_rows(fold, seen))
            if progress is not None:
                progress(number, len(sessions))
        for table in tables.values():
            table.finish()
    except BaseException:
        for table in tables.values():
            table.abandon()
        raise
    return ExportReport(
        folder=str(target),
        files={name: str(table.final) for name, table in tables.items()},
        rows={name: table.count for name, table in tables.items()},
        unreadable=unreadable,
    )
