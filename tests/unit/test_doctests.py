"""Every example in sesslog's docstrings runs, and passes."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import sesslog

MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(sesslog.__path__, "sesslog.")
    if not module.name.endswith("__main__")  # running it would run the command line
)


def _run(name: str) -> tuple[doctest.TestResults, str]:
    module = importlib.import_module(name)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=report.write)
    return runner.summarize(verbose=False), report.getvalue()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    results, report = _run(name)
    assert results.failed == 0, report


def test_the_examples_are_found() -> None:
    """The examples of the session facade and of the escaping run (a finder that found
    nothing would pass every module)."""
    for name in ("sesslog.session", "sesslog.render.escape", "sesslog.format.defaults"):
        assert _run(name)[0].attempted > 0, name
