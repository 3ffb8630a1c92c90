"""The PostgreSQL catalog of a fleet's sessions (``psycopg`` 3, the ``fleet`` extra).

Now: the schema as migrations (:mod:`~sesslog.catalog.postgres.migrations`) and the writer
leases with fencing numbers (:mod:`~sesslog.catalog.postgres.leases`). The catalog interface of
the SQLite catalog comes on top of these tables.
"""

from __future__ import annotations

__all__: list[str] = []
