"""Formatted email: remote images stay blocked until the agent loads them, off the GUI thread."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytestqt.qtbot import QtBot

from csdesk.domain.html_bounds import bound_html, depth_of
from csdesk.sync.remote_images import fetch_images
from csdesk.ui import rich_text
from csdesk.ui.panels.email_view import EmailView, blocked_images, unblock
from csdesk.ui.tasks import Tasks

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/pixel.png":
            body, kind = PNG, "image/png"
        elif self.path == "/big.png":
            body, kind = b"\0" * 2048, "image/png"
        else:
            body, kind = b"<html></html>", "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_images_keeps_only_small_real_images(image_server: str) -> None:
    got = fetch_images(
        [
            f"{image_server}/pixel.png",
            f"{image_server}/page.html",
            f"{image_server}/big.png",
            "file:///etc/passwd",
        ],
        max_bytes=1024,
    )
    assert list(got) == [f"{image_server}/pixel.png"] and got[f"{image_server}/pixel.png"] == PNG


def test_email_view_blocks_until_asked(qtbot: QtBot, image_server: str) -> None:
    url = f"{image_server}/pixel.png"
    html = f'<p>Hello</p><img data-blocked-src="{url}" alt="logo">'
    assert blocked_images(html) == [url] and f'src="{url}"' in unblock(html)
    asked: list[list[str]] = []

    def load(urls: list[str], done: Callable[[dict[str, bytes]], None]) -> None:
        asked.append(urls)
        done(fetch_images(urls))

    view = EmailView("Order question", html, load)
    qtbot.addWidget(view)
    assert "1 remote image is blocked" in view.notice.text()
    assert asked == []  # nothing is fetched until the agent asks
    view.load.click()
    assert asked == [[url]]
    assert "1 remote image loaded" in view.notice.text()
    assert f'src="{url}"' in unblock(html)
    assert not view.browser.document().resource(1, url).isNull()  # type: ignore[call-overload]


# --- nested HTML (issue 9, item 6) ---------------------------------------------------------
# 22 nested tables (331 bytes) kept QTextBrowser.setHtml busy for over 40 s; 3,000 crashed the
# desk.  pytest-timeout guards the time; the assertions are about what reached Qt.


def _nested_tables(levels: int) -> str:
    return "<table><tr><td>" * levels + "deepest words" + "</td></tr></table>" * levels + "end"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("levels", [22, 3000])
def test_nested_tables_show_without_freezing_the_desk(qtbot: QtBot, levels: int) -> None:
    tasks = Tasks()
    try:
        view = EmailView("Tables", _nested_tables(levels), lambda _urls, _done: None, tasks=tasks)
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.rendered, timeout=30_000):
            view.show()
        shown = view.browser.toPlainText()
        assert "deepest words" in shown and "end" in shown
        handed = view.html_for_qt
        assert depth_of(handed) <= rich_text.MAX_DEPTH
        # No table inside a fourth-level table: re-bounding at three levels drops nothing.
        tables = bound_html(handed, max_depth=10_000, max_table_depth=3, max_chars=len(handed))
        assert tables.dropped == 0
        assert view.simplified.isVisible() and "nested too deeply" in view.simplified.text()
    finally:
        tasks.shutdown()


@pytest.mark.timeout(60)
def test_deep_and_huge_html_is_bounded_before_qt(qtbot: QtBot) -> None:
    html = "<div>" * 50_000 + "inner" + "</div>" * 50_000 + "<p>filler text</p>" * 40_000
    view = EmailView("Huge", html, lambda _urls, _done: None)
    qtbot.addWidget(view)
    assert depth_of(view.html_for_qt) <= rich_text.MAX_DEPTH
    assert len(view.html_for_qt) <= rich_text.MAX_CHARS
    assert "inner" in view.browser.toPlainText()
    assert "too large" in view.simplified.text()


def test_ordinary_email_is_not_marked_simplified(qtbot: QtBot) -> None:
    html = "<table><tr><td><table><tr><td>two levels</td></tr></table></td></tr></table>"
    view = EmailView("Plain", html, lambda _urls, _done: None)
    qtbot.addWidget(view)
    assert "two levels" in view.browser.toPlainText()
    assert view.simplified.isHidden() and view.html_for_qt == html
