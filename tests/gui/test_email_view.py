"""Formatted email: remote images stay blocked until the agent loads them, off the GUI thread."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytestqt.qtbot import QtBot

from csdesk.sync.remote_images import fetch_images
from csdesk.ui.panels.email_view import EmailView, blocked_images, unblock

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
