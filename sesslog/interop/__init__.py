"""Interoperability: importers from other agents' session formats, exporters (Markdown, JSON,
JSONL, a self-contained HTML viewer) and portable, optionally encrypted share bundles.

Nothing here is imported by ``import sesslog``; each module loads what it needs when used.
"""
