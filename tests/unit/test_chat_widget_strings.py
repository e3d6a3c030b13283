"""The widget's built-in English table and the server's strings are the same words, and the
widget never puts server text in as markup."""

from __future__ import annotations

import re

from csdesk.resources import resource_path
from csdesk.server.chat import texts


def _widget() -> str:
    return (resource_path("chat") / "widget.js").read_text(encoding="utf-8")


def test_the_built_in_table_has_the_servers_keys_and_words() -> None:
    table = re.search(r"var T = \{(.*?)\};", _widget(), re.S)
    assert table is not None
    pairs = re.findall(r'(\w+): "((?:[^"\\]|\\.)*)"', table.group(1))
    built_in = {k: v.encode("ascii").decode("unicode_escape") for k, v in pairs}
    assert built_in == dict(texts.WIDGET)


def test_no_markup_from_anywhere() -> None:
    js = _widget()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js
