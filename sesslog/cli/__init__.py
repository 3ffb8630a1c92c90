"""The ``sesslog`` command line: a thin layer over the library, one module per command group.

Each command module has ``register(subparsers, parents)`` which adds its commands; a command's
handler takes the parsed arguments and returns the exit code. Heavy imports happen inside the
handlers so that ``sesslog --help`` stays fast; the parser itself (:mod:`sesslog.cli.app`) is
imported only when a command line needs one, so ``sesslog --version`` loads no more than
``import sesslog``.
"""

from __future__ import annotations

import sys

from sesslog._lazy import TYPE_CHECKING, lazy_getattr

if TYPE_CHECKING:
    from typing import NoReturn

    from sesslog.cli.app import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main", "run"]

__getattr__ = lazy_getattr(
    globals(), dict.fromkeys(("COMMANDS", "build_parser", "main"), "sesslog.cli.app")
)


def run() -> NoReturn:
    """The ``sesslog`` program: run the command line, then exit at once.

    ``sesslog --version`` alone is answered here, before the parser is imported; every other
    command line goes through :func:`sesslog.cli.app.main` (see
    :func:`sesslog.cli.app.run_main`).
    """
    if sys.argv[1:] == ["--version"]:
        import os

        from sesslog._version import __version__

        try:
            os.write(1, f"sesslog {__version__}\n".encode())
        except OSError:
            pass  # a closed or broken stdout: the full path below reports it as any command does
        else:
            os._exit(0)
    from sesslog.cli.app import run_main

    run_main()
