"""No user-visible string escapes ``_()`` (issue 13): an AST scan of the desk's widgets.

A string literal with letters handed straight to a Qt call that shows text (``setText``,
``setToolTip``, ``QLabel(...)``, ``addItem``, ``QMessageBox.warning`` …) would stay English in
every language; so would an f-string that builds a sentence around the translated parts. The
scan covers ``csdesk.ui`` and the ``csdesk.app`` modules that word sentences for it. Strings
without letters ("…", "—", " %") pass; the few words that are not language (product names)
are listed in ``NOT_LANGUAGE``. Wrap anything this finds in ``_()`` / ``ngettext``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "csdesk"
SCANNED = [*sorted((SRC / "ui").rglob("*.py")), *sorted((SRC / "app").glob("*.py"))]

#: Calls whose first text argument is shown (or read out) as it is.
TEXT_METHODS = {
    "setText", "setToolTip", "setWindowTitle", "setAccessibleName", "setAccessibleDescription",
    "setPlaceholderText", "setStatusTip", "setWhatsThis", "setTitle", "setLabelText",
    "setSpecialValueText", "setInformativeText", "setDetailedText", "setTabText",
    "setTabToolTip", "setItemText", "setButtonText", "setCancelButtonText", "setOkButtonText",
    "showMessage", "addItem", "insertItem", "addTab", "insertTab", "addAction", "addMenu",
    "addRow", "addButton", "setHorizontalHeaderLabels", "setVerticalHeaderLabels",
    "setHeaderLabels", "addItems", "setWindowIconText", "setEmptyText",
}  # fmt: skip
#: Widgets and dialogs whose constructor's first text argument is shown.
TEXT_CONSTRUCTORS = {
    "QLabel", "PlainLabel", "QPushButton", "QToolButton", "QRadioButton", "QCheckBox",
    "QGroupBox", "QAction", "QMenu", "QListWidgetItem", "QTreeWidgetItem", "QTableWidgetItem",
    "QStandardItem", "QCommandLinkButton",
    # errors whose message the desk shows as it is (sync, scenario files, the local server)
    "SyncError", "FlowError", "EmbeddedError",
}  # fmt: skip
#: QMessageBox.information(parent, title, text, …) and friends: title and text.
MESSAGE_BOXES = {"information", "warning", "critical", "question", "about"}
#: QInputDialog.getText(parent, title, label, …): title and label.
INPUT_DIALOGS = {"getText", "getItem", "getInt", "getDouble", "getMultiLineText"}
TRANSLATORS = {"_", "ngettext", "N_"}

#: Words that are the same in every language.
NOT_LANGUAGE = {"csdesk"}


def _is_address(text: str) -> bool:
    """An example address ("https://csdesk.example.com") is not language."""
    return "://" in text and not any(c.isspace() for c in text)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal_text(node: ast.expr) -> str | None:
    """The letters a literal (or an f-string's literal parts) puts on screen, if any."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [_literal_text(node.left) or "", _literal_text(node.right) or ""]
        text = " ".join(p for p in parts if p)
    elif isinstance(node, ast.List | ast.Tuple):
        text = " ".join(t for e in node.elts if (t := _literal_text(e)))
    else:
        return None
    if _is_address(text):
        return None
    words = "".join(c if c.isalpha() else " " for c in text).split()
    words = [w for w in words if w not in NOT_LANGUAGE]
    return text if words else None


def _is_text_like(node: ast.expr) -> bool:
    if isinstance(node, ast.Call) and _name(node.func) in TRANSLATORS:
        return True
    return isinstance(node, ast.Constant | ast.JoinedStr) and isinstance(
        getattr(node, "value", ""), str | list
    )


def _shown_args(call: ast.Call) -> list[ast.expr]:
    """The arguments of ``call`` that reach the screen as text."""
    name = _name(call.func)
    args = list(call.args)
    shown: list[ast.expr] = [kw.value for kw in call.keywords if kw.arg in ("text", "title")]
    if name in MESSAGE_BOXES and isinstance(call.func, ast.Attribute):
        return shown + args[1:3]
    if name in INPUT_DIALOGS:
        return shown + args[1:3]
    if name in TEXT_METHODS or name in TEXT_CONSTRUCTORS:
        if not args:
            return shown
        if name in ("setHorizontalHeaderLabels", "setVerticalHeaderLabels", "setHeaderLabels",
                    "addItems"):  # fmt: skip
            return [*shown, args[0]]
        # addItem(icon, text, data), QAction(icon, text, parent): the text follows an icon.
        if not _is_text_like(args[0]) and len(args) > 1 and _is_text_like(args[1]):
            return [*shown, args[1]]
        return [*shown, args[0]]
    return shown


def escapes(source: str, filename: str) -> Iterator[str]:
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for arg in _shown_args(node):
            text = _literal_text(arg)
            if text is not None:
                yield f"{filename}:{arg.lineno}: {_name(node.func)}({text!r})"


def test_the_scan_finds_what_it_should() -> None:
    found = list(
        escapes(
            "label.setText('Hello')\n"
            "QPushButton('&Send', self)\n"
            "QMessageBox.warning(self, 'Oops', _('fine'))\n"
            "box.addItem(icon, f'Name {x}', 'data')\n"
            "table.setHorizontalHeaderLabels([_('A'), 'B'])\n"
            "label.setText(_('Hello'))\n"
            "label.setText('…')\n"
            "tray.setToolTip('csdesk')\n"
            "label.setText(f'{a} — {b}')\n"
            "url.setPlaceholderText('https://csdesk.example.com')\n"
            "combo.addItem(_('Light'), 'light')\n",
            "example.py",
        )
    )
    assert [line.split(": ", 1)[1] for line in found] == [
        "setText('Hello')",
        "QPushButton('&Send')",
        "warning('Oops')",
        "addItem('Name ')",
        "setHorizontalHeaderLabels('B')",
    ]


def test_no_user_visible_string_escapes_translation() -> None:
    found: list[str] = []
    for path in SCANNED:
        found.extend(escapes(path.read_text(encoding="utf-8"), str(path.relative_to(SRC))))
    assert not found, "wrap these in _() or ngettext:\n  " + "\n  ".join(found)
