"""The HTML viewer in headless Chromium: it loads with no errors and no requests, shows the
path to the leaf, switches branches, finds words, and runs nothing a transcript holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser, open_page, screenshot
from export_samples import PAYLOAD, PNG_1PX, branched_session, hostile_session

from sesslog import Session
from sesslog.interop.export_html import export_html


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


def export(tmp_path: Path, data: bytes, name: str, **options: Any) -> Path:
    source = tmp_path / f"{name}.jsonl"
    source.write_bytes(data)
    page = tmp_path / f"{name}.html"
    page.write_bytes(export_html(Session.open(source, read_only=True), **options))
    return page


def visible_entries(page: Any) -> str:
    return str(page.locator("#entries").inner_text())


def open_folds(page: Any, selector: str = "details") -> None:
    """Open every folded part and wait until their content is built (on the toggle event)."""
    page.evaluate(
        "sel => new Promise(done => { document.querySelectorAll(sel).forEach(d => { d.open = true; });"
        " setTimeout(done, 50); })",
        selector,
    )


@pytest.mark.parametrize("compress", [True, False], ids=["gzip-data", "plain-data"])
def test_loads_clean_and_shows_the_path_to_the_leaf(
    chromium: Any, tmp_path: Path, lines: Any, compress: bool
) -> None:
    exported = export(tmp_path, branched_session(lines), "branched", compress=compress)
    page, log, url = open_page(chromium, exported)
    assert log.problems(url) == []
    shown = visible_entries(page)
    for word in ("Please list the files", "Explain the alpha plan", "alpha-branch-marker"):
        assert word in shown
    assert "beta-branch-marker" not in shown
    assert (
        page.locator("article.entry").count() == 9
    )  # the path to the leaf: u1 a1 t1 u2a a3 l1 s1 c1 n1
    assert page.title() == "Viewer sample"
    assert "branch 2/2" in shown
    assert page.locator("img.shot").count() == 1  # the user's picture, as a data URL
    assert page.locator("img.shot").get_attribute("src").startswith("data:image/png;base64,")
    assert "checkpoint-one" in shown  # the label, on the entry it names
    assert "Snapshot \u201cbefore refactor\u201d" in shown
    assert "acme.state" in shown
    side = page.locator("#side").inner_text()
    assert "$0.0400" in side  # cost of the two assistant replies on the path and the other one
    screenshot(page, "branched-leaf" if compress else "branched-leaf-plain")
    page.close()


def test_switching_branch_shows_that_branch(chromium: Any, tmp_path: Path, lines: Any) -> None:
    page, log, url = open_page(chromium, export(tmp_path, branched_session(lines), "branched"))
    page.locator("#e5 .branch-prev").click()  # u2a (file index 5) is branch 2 of 2 at t1
    shown = visible_entries(page)
    assert "beta-branch-marker" in shown
    assert "alpha-branch-marker" not in shown
    assert "branch 1/2" in shown
    assert "b1" in page.locator("#branch-info").inner_text()
    screenshot(page, "branched-other-branch")
    page.locator("#e3 .branch-next").click()
    assert "alpha-branch-marker" in visible_entries(page)
    page.locator("#tree button", has_text="Explain the beta plan").click()  # the tree panel
    assert "beta-branch-marker" in visible_entries(page)
    assert log.problems(url) == []
    page.close()


def test_search_finds_a_word_in_a_folded_tool_result(
    chromium: Any, tmp_path: Path, lines: Any
) -> None:
    page, log, url = open_page(chromium, export(tmp_path, branched_session(lines), "branched"))
    assert "zanzibar" not in visible_entries(page)  # folded with its tool call
    page.fill("#query", "zanzibar")
    page.press("#query", "Enter")
    assert page.locator("#search-status").inner_text() == "1 entry matches"
    page.locator("#results button").first.click()
    assert page.locator("mark", has_text="zanzibar").count() >= 1
    assert "zanzibar" in visible_entries(page)
    page.fill("#query", "beta-branch-marker")  # on the other branch: the page switches to it
    page.press("#query", "Enter")
    page.locator("#results button").first.click()
    assert "beta-branch-marker" in visible_entries(page)
    screenshot(page, "branched-search")
    assert log.problems(url) == []
    page.close()


def test_a_hostile_transcript_runs_nothing(chromium: Any, tmp_path: Path, lines: Any) -> None:
    path = export(tmp_path, hostile_session(lines), "hostile")
    page, log, url = open_page(chromium, path)
    open_folds(page)  # build every folded part
    page.fill("#query", "script")
    page.press("#query", "Enter")
    for button in page.locator("#results button").all():
        button.click()
    page.locator("#tree button").first.click()
    open_folds(page, "#entries details")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert log.problems(url) == []
    assert log.dialogs == []
    # The payloads show as text.
    shown = visible_entries(page)
    assert f"<script>{PAYLOAD}</script>" in shown
    assert f'<img src=x onerror="{PAYLOAD}">' in shown
    assert "\u241b" in shown  # ESC shown as a control picture
    assert "\u202e" not in shown  # bidi overrides cannot reorder what is shown
    assert page.title() == f"</title><script>{PAYLOAD}</script>"
    # Nothing became markup: two script elements (the data and the viewer), no handlers,
    # links only to http(s), images only as data: URLs of raster types.
    assert page.evaluate("() => document.scripts.length") == 2
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
    )
    assert handlers == []
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('[href]')].map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    assert "https://example.com/ok" in hrefs
    sources = page.evaluate("() => [...document.images].map(i => i.getAttribute('src'))")
    assert sources == ["data:image/png;base64," + PNG_1PX]
    assert page.locator("iframe, svg, object, embed").count() == 0
    screenshot(page, "hostile")
    # The page's policy forbids HTML sinks (Trusted Types): even script in the page cannot add markup.
    blocked = page.evaluate(
        "() => { try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>'); return 'allowed'; }"
        " catch (e) { return 'blocked'; } }"
    )
    assert blocked == "blocked"
    page.close()


def test_the_page_has_no_markup_from_the_transcript(tmp_path: Path, lines: Any) -> None:
    """Without a browser: the page source holds exactly the markup of the template."""
    page = export(tmp_path, hostile_session(lines), "hostile").read_bytes()
    assert page.lower().count(b"<script") == 2
    assert page.lower().count(b"</script") == 2
    assert b"<!--" not in page
    assert b"<img" not in page and b"<iframe" not in page and b"<svg" not in page
