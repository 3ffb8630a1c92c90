"""The HTML viewer on a 10,000-entry session in headless Chromium: it loads, renders a window
of the branch, loads more on scroll, switches branches and finds words (a generous timeout; no
timed assertions). The page size and export time are printed and kept in test-artifacts/."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARTIFACTS, browser, open_page, screenshot

from sesslog import Session
from sesslog.interop.export_html import export_html

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = 10_000
TIMEOUT_MS = 180_000


def make_session(path: Path) -> Path:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from fixtures.generate import make_v3_session

    path.write_bytes(
        make_v3_session(
            ENTRIES,
            seed=7,
            line_bytes=1000,
            branch_every=200,
            compaction_every=500,
            label_every=100,
        )
    )
    return path


def test_ten_thousand_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = make_session(tmp_path / "large.jsonl")
    session = Session.open(source, read_only=True)
    assert len(session.tree) == ENTRIES
    started = time.perf_counter()
    page_bytes = export_html(session)
    seconds = time.perf_counter() - started
    target = tmp_path / "large.html"
    target.write_bytes(page_bytes)
    report = (
        f"10,000-entry session: {source.stat().st_size:,} bytes of JSONL -> "
        f"{len(page_bytes):,} bytes of HTML in {seconds:.2f} s (noisy, shared machine)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "large-report.txt").write_text(report + "\n")
    with capsys.disabled():
        print(f"\n{report}")

    other = next(b for b in session.branches() if not b.active)
    other_text = _first_user_text_after_fork(session, other.leaf_id)
    with browser() as launched:
        page, log, url = open_page(launched, target, timeout_ms=TIMEOUT_MS)
        page.set_default_timeout(TIMEOUT_MS)
        assert page.locator("article.entry").count() == 100  # one window, not 10,000
        path_length = len(session.path_to())
        assert f"{path_length:,} entries" in page.locator("#branch-info").inner_text()

        page.locator("#main").evaluate("m => { m.scrollTop = m.scrollHeight; }")  # more on scroll
        page.wait_for_function("() => document.querySelectorAll('article.entry').length > 100")

        page.click("#go-leaf")
        page.locator(f"#e{ENTRIES - 1}").wait_for()  # the leaf is the last entry in file order

        page.fill("#query", other_text)
        page.press("#query", "Enter")
        page.wait_for_function("() => document.querySelectorAll('#results button').length > 0")
        page.locator("#results button").first.click()  # on another branch: the page switches
        info = page.locator("#branch-info").inner_text()
        assert session.leaf_id not in info
        assert page.locator("mark").count() > 0

        page.locator("#tree li.active button").last.click()
        assert page.locator("article.entry").count() > 0
        screenshot(page, "large")
        assert log.problems(url) == []
        page.close()


def _first_user_text_after_fork(session: Session, leaf_id: str) -> str:
    """A piece of a user message that only the branch ending at ``leaf_id`` holds."""
    on_active = {rec.id for rec in session.path_to()}
    for rec in session.path_to(leaf_id):
        head = rec.message
        if rec.id in on_active or head is None or head.role != "user":
            continue
        content: Any = rec.decode()["message"]["content"]
        text = (
            content
            if isinstance(content, str)
            else " ".join(b.get("text", "") for b in content if isinstance(b, dict))
        )
        for line in text.splitlines():
            piece = line.strip()[:30]
            if len(piece) == 30 and piece.isprintable():
                return piece
    raise AssertionError("no user message with words on the other branch")
