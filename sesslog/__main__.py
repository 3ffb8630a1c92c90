"""``python -m sesslog``."""

from sesslog.cli import run

run()
