"""Labels of the desk never guess rich text (issue 9, item 12), checked on the source.

A QLabel's default AutoText renders anything that looks like HTML; outside text reaches labels
everywhere (names, subjects, caller IDs).  So ``csdesk.ui`` builds labels only as
``PlainLabel`` and never switches one to rich or auto text.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "src" / "csdesk" / "ui"


def _calls(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            found.append((name, node.lineno))
            first = node.args[0] if node.args else None
            if name in ("addRow", "insertRow") and (
                isinstance(first, ast.Constant | ast.JoinedStr)
                or (isinstance(first, ast.Call) and getattr(first.func, "id", "") == "_")
            ):
                found.append(("addRow(text)", node.lineno))  # QFormLayout makes an AutoText label
        if isinstance(node, ast.Attribute) and node.attr in ("RichText", "AutoText"):
            found.append((node.attr, node.lineno))
    return found


def test_no_bare_qlabel_and_no_rich_text_format_in_the_ui() -> None:
    bad = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "plain_text.py":
            continue
        for name, line in _calls(ast.parse(path.read_text(), str(path))):
            if name in ("QLabel", "RichText", "AutoText", "addRow(text)"):
                bad.append(f"{path.relative_to(UI)}:{line} {name}")
    assert bad == []


def test_the_check_sees_a_bare_label() -> None:
    tree = ast.parse(
        'x = QLabel(parent)\ny.setTextFormat(Qt.TextFormat.AutoText)\nf.addRow(_("&Name"), w)'
    )
    assert {n for n, _ in _calls(tree)} >= {"QLabel", "AutoText", "addRow(text)"}


def test_tooltips_that_look_like_html_are_escaped_and_plain_ones_kept() -> None:
    from PySide6.QtGui import QTextDocument

    from csdesk.ui.plain_text import plain_tip

    hostile = '<img src="http://127.0.0.1:9/x.png"><h1>SUPERVISOR: refund approved</h1>'
    doc = QTextDocument()
    doc.setHtml(plain_tip(hostile))  # what QToolTip does with rich text
    assert doc.toPlainText() == hostile
    assert plain_tip("Order 12 & 13, waiting 5 minutes") == "Order 12 & 13, waiting 5 minutes"
