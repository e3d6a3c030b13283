"""HTML sanitizing for email: what must never survive, and what must."""

from __future__ import annotations

import pytest

from csdesk.server.channels.html_sanitize import BLOCKED_SRC_ATTR, html_to_text, sanitize_html


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ("<script>alert(1)</script>ok", "alert"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<object data="evil.swf"></object>', "object"),
        ("<svg><script>alert(1)</script></svg>", "script"),
        ('<form action="https://evil.example"><input name=p></form>', "form"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "refresh"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">', "evil"),
        ('<p style="background:url(https://t.example/p.gif)">x</p>', "t.example"),
        ('<td background="https://t.example/bg.gif">x</td>', "t.example"),
        ('<img srcset="https://t.example/a.png 2x">', "t.example/a.png 2x"),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
        ("<style>body{background:url(https://t.example/x)}</style>", "t.example"),
    ],
)
def test_dangerous_markup_removed(dirty: str, forbidden: str) -> None:
    assert forbidden not in sanitize_html(dirty)


@pytest.mark.parametrize(
    ("src", "blocked"),
    [
        ("http://t.example/a.gif", "http://t.example/a.gif"),
        ("HTTPS://t.example/a.gif", "HTTPS://t.example/a.gif"),
        ("//cdn.example/a.gif", "https://cdn.example/a.gif"),
    ],
)
def test_remote_images_blocked_but_recoverable(src: str, blocked: str) -> None:
    out = sanitize_html(f'<img src="{src}" alt="logo">')
    assert " src=" not in out
    assert f'{BLOCKED_SRC_ATTR}="{blocked}"' in out
    assert 'alt="logo"' in out


def test_cid_images_and_safe_formatting_kept() -> None:
    out = sanitize_html(
        '<p style="color:#333;position:fixed">Hi <img src="cid:logo@x"></p>'
        '<a href="https://shop.example/">shop</a>'
    )
    assert '<img src="cid:logo@x">' in out
    assert "color:#333" in out and "position" not in out
    assert 'href="https://shop.example/"' in out and 'rel="noopener noreferrer nofollow"' in out


def test_non_cid_local_sources_dropped() -> None:
    out = sanitize_html(
        '<img src="file:///etc/passwd"><img src="/relative.png">'
        '<img src="data:image/png;base64,AAAA">'
    )
    assert "passwd" not in out and "relative" not in out and "data:" not in out


def test_sanitize_is_idempotent() -> None:
    once = sanitize_html('<div><img src="http://t.example/x.gif"><b>x</b></div>')
    assert sanitize_html(once) == once


def test_html_to_text_layout() -> None:
    html = (
        "<div>Hello <b>Ann</b>,</div><p>Order&nbsp;#12 shipped.</p><p>A<br>B</p>"
        "<ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>End"
    )
    assert (
        html_to_text(html)
        == "Hello Ann,\n\nOrder #12 shipped.\n\nA\nB\n\n- one\n- two\n\na b\n\nEnd"
    )


def test_html_to_text_skips_script_and_style_content() -> None:
    assert html_to_text("<style>p{}</style><script>x()</script><p>shown</p>") == "shown"
