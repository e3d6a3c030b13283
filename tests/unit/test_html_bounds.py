"""The linear bounding pass shared by the server's sanitizer and the desk's email view."""

from __future__ import annotations

import pytest

from csdesk.domain.html_bounds import bound_html, depth_of


def bound(html: str, **kw: int) -> str:
    return bound_html(html, max_chars=kw.pop("max_chars", 10**7), **kw).html


def test_html_implied_end_tags_keep_ordinary_markup_flat() -> None:
    assert bound("<p>one<p>two<ul><li>a<li>b</ul><dl><dt>t<dd>d</dl>") == (
        "<p>one</p><p>two</p><ul><li>a</li><li>b</li></ul><dl><dt>t</dt><dd>d</dd></dl>"
    )
    assert bound("<table><tr><td>1<td>2<tr><td>3</table>") == (
        "<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>"
    )
    assert bound("<b><i>x</b>y") == "<b><i>x</i></b>y"  # misnested: closed in order


def test_past_the_depth_tags_go_and_text_stays_with_line_breaks() -> None:
    out = bound_html("<div>a" * 6 + "</div>" * 6 + "after", max_depth=3, max_chars=1000)
    assert out.html == "<div>a<div>a<div>a<br>a<br>a<br>a<br></div></div></div>after"
    assert out.max_depth == 3 and out.dropped == 3 and out.simplified
    assert depth_of(out.html) == 3


def test_tables_past_their_depth_become_lines_and_spaces() -> None:
    nested = "<table><tr><td>a<table><tr><td>b</td><td>c</td></tr><tr><td>d</td></tr></table>"
    out = bound(nested + "</td></tr></table>", max_table_depth=1)
    assert out == "<table><tr><td>a<br> b  c <br> d <br></td></tr></table>"


def test_raw_text_comments_and_document_tags() -> None:
    out = bound(
        "<html><head><title>t</div></title><style>p{}</style></head>"
        "<body><!-- <div> --><script>if (a<b) x('</div>')</script>ok</body></html>"
    )
    assert out == "<title>t</div></title><style>p{}</style><script>if (a<b) x('</div>')</script>ok"
    assert bound("a < b <3 </ c") == "a &lt; b &lt;3 "  # "</ c" is a bogus comment to EOF


def test_a_tag_cut_off_by_the_end_is_dropped_and_the_size_is_capped() -> None:
    assert bound('<p>ok</p><img src="x') == "<p>ok</p>"
    assert bound("<p><img alt=Don't>Hello, it's me") == "<p><img alt=Don't>Hello, it's me</p>"
    assert bound("<p><img alt=\"a>b\" title='c>d'>e") == "<p><img alt=\"a>b\" title='c>d'>e</p>"
    out = bound_html("<p>" + "x" * 100 + "</p>", max_chars=20)
    assert out.truncated and out.html == "<p>" + "x" * 17 + "</p>"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "hostile",
    [
        "<a" * 300_000,
        "</" * 300_000,
        "<?" * 300_000,
        "<![CDATA[" * 100_000,
        '<a "' * 200_000,
        "<div>" * 200_000 + "</span>" * 200_000,
        "<table><tr><td>" * 100_000,
        "<script>" * 200_000,
    ],
)
def test_inputs_quadratic_for_other_parsers_are_read_in_one_pass(hostile: str) -> None:
    out = bound_html(hostile, max_depth=32, max_table_depth=3, max_chars=len(hostile))
    assert out.max_depth <= 32 and depth_of(out.html) <= 32
