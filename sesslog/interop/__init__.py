"""Interoperability with other coding agents' session files.

Importers turn Claude Code transcripts, Codex CLI rollouts and pi or OpenClaw sessions found
elsewhere into pi-format sessions under a sessions root: :mod:`sesslog.interop.importer`
(``import_paths``), one module per source format (:mod:`~sesslog.interop.claude`,
:mod:`~sesslog.interop.codex`, :mod:`~sesslog.interop.pi`) and format detection
(:mod:`~sesslog.interop.detect`). See ``docs/interop.md``.
"""

__all__: list[str] = []
