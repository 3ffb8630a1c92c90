"""Headless Chromium for the HTML viewer tests: the Debian ``chromium`` package driven by
Playwright (never a browser Playwright downloads).

When ``/usr/bin/chromium`` is missing, ``scripts/install-test-deps.sh`` is run once to install
it; where that cannot work, the tests skip with the reason the script wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from servers import install_failure

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "html-viewer"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_tried_install = False


def chromium_or_skip() -> None:
    """Make sure Chromium and Playwright are there, or skip saying why."""
    global _tried_install
    if not CHROMIUM.exists() and not _tried_install:
        _tried_install = True
        script = ROOT / "scripts" / "install-test-deps.sh"
        env = {**os.environ, "PYTHON": sys.executable}
        subprocess.run(["bash", str(script), "chromium"], env=env, check=False)
    if not CHROMIUM.exists():
        reason = install_failure("chromium") or "run scripts/install-test-deps.sh chromium"
        pytest.skip(f"chromium is not installed and could not be: {reason}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")


@dataclass
class PageLog:
    """What a page did: console messages, page errors, requests and dialogs."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self, page_url: str) -> list[str]:
        """Console errors and warnings, page errors, dialogs and requests for anything but
        the page itself (and ``data:`` images, which are not network requests)."""
        found = [
            f"console {kind}: {text}" for kind, text in self.console if kind in ("error", "warning")
        ]
        found += [f"page error: {text}" for text in self.errors]
        found += [f"dialog: {text}" for text in self.dialogs]
        found += [
            f"request: {url}"
            for url in self.requests
            if url != page_url and not url.startswith("data:")
        ]
        return found


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium browser."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(launched: Any, path: Path, *, timeout_ms: int = 30_000) -> tuple[Any, PageLog, str]:
    """Open ``path`` in a new page, recording what it does, and wait until the viewer is ready."""
    page = launched.new_page(viewport={"width": 1400, "height": 900})
    log = PageLog()
    page.on("console", lambda msg: log.console.append((msg.type, msg.text)))
    page.on("pageerror", lambda exc: log.errors.append(str(exc)))
    page.on("request", lambda request: log.requests.append(request.url))

    def dialog(d: Any) -> None:
        log.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    url = path.resolve().as_uri()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_selector("body[data-ready='1']", timeout=timeout_ms)
    return page, log, url


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot under ``test-artifacts/html-viewer/``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    return target
