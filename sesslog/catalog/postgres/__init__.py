"""The PostgreSQL catalog of a fleet's sessions (``psycopg`` 3 and ``psycopg_pool``, the
``fleet`` extra).

:class:`~sesslog.catalog.postgres.catalog.PostgresCatalog` implements the catalog interface
over the tables of :mod:`~sesslog.catalog.postgres.migrations`; the writer leases with fencing
numbers are :mod:`~sesslog.catalog.postgres.leases`. Importing this package imports no driver:
the catalog is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesslog._lazy import lazy_getattr

if TYPE_CHECKING:
    from sesslog.catalog.postgres.catalog import PostgresCatalog

__all__ = ["PostgresCatalog"]

__getattr__ = lazy_getattr(globals(), {"PostgresCatalog": "sesslog.catalog.postgres.catalog"})
