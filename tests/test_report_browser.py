"""The HTML report in a real browser: headless Chromium opens the file with every network request
refused, and must draw every chart without a console error or a page error.

Locally: `apt-get install chromium` (Debian; /usr/bin/chromium) and `pip install -e '.[dev]'`
(playwright drives the system browser; no `playwright install` needed). Without them the test
skips, except where the environment sets CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# every chart container holds plotly's svg (or the wait times out and the counts below say which)
DRAWN = "[...document.querySelectorAll('.chart')].every(c => c.querySelector('.main-svg'))"
HOW = ("needs Chromium and playwright: apt-get install chromium (Debian), then "
       "pip install -e '.[dev]'")


def _browser_or_skip() -> object:
    """playwright's sync API, or a skip (a failure under CI) saying how to get it."""
    missing = []
    try:
        from playwright import sync_api
    except ImportError:
        missing.append("the playwright package")
        sync_api = None
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing.append(CHROMIUM)
    if missing:
        message = f"missing {' and '.join(missing)}: the browser test {HOW}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_api


def _open(sync_api: object, page_path: Path, shot: Path) -> tuple[list[str], int, int]:
    """Console errors and page errors, chart containers, and containers plotly drew into."""
    errors: list[str] = []
    with sync_api.sync_playwright() as p:  # type: ignore[attr-defined]
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                ("file:", "data:")) else route.abort())
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            page.goto(page_path.as_uri(), wait_until="load")
            try:
                page.wait_for_function(DRAWN, timeout=20_000)
            except sync_api.TimeoutError:  # type: ignore[attr-defined]
                errors.append("charts not drawn within 20 s")
            charts = page.locator(".chart").count()
            drawn = page.locator(".chart:has(.main-svg)").count()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return errors, charts, drawn


def test_report_renders_in_chromium(tmp_path):
    sync_api = _browser_or_skip()
    from wafersim.figures.gather import gather
    from wafersim.figures.page import render, write_report

    contents = gather("llama-3.1-8b", ("cs-3", "dgx-h100"), claim_ids=("C1", "C3"))
    page = write_report(tmp_path / "report.html", render(contents))
    shot = tmp_path / "report.png"
    errors, charts, drawn = _open(sync_api, page, shot)
    assert errors == []
    assert charts == len(contents.figures) > 0
    assert drawn == charts
    assert shot.stat().st_size > 10_000
