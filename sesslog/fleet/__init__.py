"""Sessions of many machines: push local sessions to a bucket, pull them back, keep them in sync,
and one writer per session across machines.

* :mod:`~sesslog.fleet.leases`: :class:`PostgresLeases`, writer leases in PostgreSQL;
* :mod:`~sesslog.fleet.push`: ship what local sessions gained since their last push;
* :mod:`~sesslog.fleet.pull`: bring a session back as a local file, byte for byte;
* :mod:`~sesslog.fleet.watch`: push as agents write.

Importing this package imports nothing; each module loads its clients (``obstore``,
``psycopg``, ``watchfiles``) itself.
"""

from __future__ import annotations

__all__: list[str] = []
