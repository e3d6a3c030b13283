"""A headless Debian chromium driven by PyPI playwright (never ``playwright install``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.requirements import require

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "browser tests need the playwright package (pip install playwright)")
        raise
    require(os.access(CHROMIUM, os.X_OK), f"browser tests need {CHROMIUM} (apt install chromium)")
    from playwright.sync_api import expect

    # Waits return as soon as their condition holds; on a loaded CI box Playwright's 5 s
    # default gave up on a widget still waiting for the server's first answer.
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()
