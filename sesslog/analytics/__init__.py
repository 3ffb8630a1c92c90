"""Analytics export: a store's sessions, entries, tool executions and usage as Parquet files
(``pyarrow``, the ``analytics`` extra), which DuckDB queries directly. See docs/analytics.md.

:func:`~sesslog.analytics.export.export_parquet` is imported on first use, so this package
loads no ``pyarrow`` until an export runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesslog._lazy import lazy_getattr

if TYPE_CHECKING:
    from sesslog.analytics.export import ExportReport, export_parquet

__all__ = ["ExportReport", "export_parquet"]

__getattr__ = lazy_getattr(
    globals(),
    {"ExportReport": "sesslog.analytics.export", "export_parquet": "sesslog.analytics.export"},
)
