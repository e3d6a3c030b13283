"""HTML sanitizing for email: what must never survive, and what must."""

from __future__ import annotations

import pytest

from csdesk.domain.html_bounds import depth_of
from csdesk.server.channels.email_parse import parse_email
from csdesk.server.channels.html_sanitize import (
    BLOCKED_SRC_ATTR,
    MAX_CHARS,
    MAX_DEPTH,
    html_to_text,
    sanitize_email_html,
    sanitize_html,
)


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


# --- size and depth (issue 9, item 5) ------------------------------------------------------
# The mailbox worker took 216 s on 100,000 nested <div>, and a restart fetched the mail again.
# These assert structure; pytest-timeout is the guard against the old quadratic time.


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("opening", "closing"),
    [("<div>", "</div>"), ("<table><tr><td>", ""), ("<ul><li><span>", "")],  # 1.1–1.5 MB
)
def test_deep_nesting_is_flattened_and_its_text_kept(opening: str, closing: str) -> None:
    levels = 100_000
    dirty = (
        "".join(f"{opening}level{i} " if i % 10_000 == 0 else opening for i in range(levels))
        + "bottom"
        + closing * levels
        + "after"
    )
    safe = sanitize_email_html(dirty)
    assert depth_of(safe.html) <= MAX_DEPTH
    text = html_to_text(safe.html)
    for i in range(0, levels, 10_000):
        assert f"level{i}" in text
    assert "bottom" in text and "after" in text
    assert safe.note == "formatting simplified: nested too deeply"


def test_ordinary_mail_is_not_simplified() -> None:
    html = "<p>one<p>two<ul><li>a<li>b</ul>" + "<div>" * 20 + "deep" + "</div>" * 20
    safe = sanitize_email_html(html)
    assert safe.note is None
    assert "<p>one</p><p>two</p><ul><li>a</li><li>b</li></ul>" in safe.html
    assert depth_of(safe.html) == 20


def test_nested_tables_past_the_limit_keep_their_cells() -> None:
    html = "<table><tr><td>cell " * 40 + "end" + "</td></tr></table>" * 40
    safe = sanitize_email_html(html)
    assert depth_of(safe.html) <= MAX_DEPTH  # html5ever's implied <tbody> included
    assert html_to_text(safe.html).count("cell") == 40 and "end" in safe.html
    assert safe.note is not None


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "dirty",
    ["<a" * 200_000, "</" * 200_000, "<?" * 200_000, "<![CDATA[" * 100_000, '<a "' * 100_000],
)
def test_inputs_that_are_slow_for_html_parsers_complete(dirty: str) -> None:
    assert "<a" not in sanitize_html(dirty)


def test_oversized_html_is_cut_with_a_note() -> None:
    chunk = "<p>word</p>"
    safe = sanitize_email_html(chunk * (MAX_CHARS // len(chunk) + 10))
    assert safe.note is not None and "too large" in safe.note
    assert safe.html.startswith("<p>word</p>") and len(safe.html) <= MAX_CHARS


def test_a_deeply_nested_mail_keeps_its_text_and_says_so() -> None:
    body = "<div>" * 100_000 + "Where is my order?" + "</div>" * 100_000
    raw = (
        "From: ana@customer.example\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n"
        "Date: Sun, 22 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode()
    msg = parse_email(raw)
    assert msg.text == "Where is my order?"
    assert msg.html is not None and depth_of(msg.html) <= MAX_DEPTH
    assert msg.parse_warning == "formatting simplified: nested too deeply"
    # Any parse warning now means content was changed, so the mailbox attaches the raw mail.
    assert msg.parse_warning
