"""Interoperability with other coding agents' session files.

Importers turn Claude Code transcripts, Codex CLI rollouts and pi or OpenClaw sessions found
elsewhere into pi-format sessions of a session store: :func:`import_paths` (in
:mod:`sesslog.interop.importer`) and its :class:`ImportReport`, one module per source format
(:mod:`~sesslog.interop.claude`, :mod:`~sesslog.interop.codex`, :mod:`~sesslog.interop.pi`) and
format detection (:mod:`~sesslog.interop.detect`); see ``docs/interop.md``. Exporters
(``export_markdown``, ``export_json``, ``export_jsonl``, ``export_html``: a self-contained HTML
viewer) and portable, optionally encrypted share bundles (:mod:`~sesslog.interop.share`); see
``docs/export.md``.

Nothing here is imported by ``import sesslog``, and importing this package imports none of its
modules: each loads what it needs when used (the two names above on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesslog._lazy import lazy_getattr

if TYPE_CHECKING:
    from sesslog.interop.importer import import_paths
    from sesslog.interop.report import ImportReport

__all__ = ["ImportReport", "import_paths"]

_LAZY = {"ImportReport": "sesslog.interop.report", "import_paths": "sesslog.interop.importer"}


__getattr__ = lazy_getattr(globals(), _LAZY)
