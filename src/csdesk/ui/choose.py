"""Pick one of a few labelled choices, or type a line, in a small dialog (snooze, assign, go
to view, tags).

Qt's static ``QInputDialog.getItem`` leaves a dialog with no name for a screen reader to say
(the accessibility review found three such, hidden, lingering in the tree). This one is named
after its question, has an object name for tests and walks, and is deleted once answered.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QLabel, QListView, QWidget


def _named(parent: QWidget, title: str, label: str, name: str) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setAccessibleName(title)
    dialog.setAccessibleDescription(label)
    dialog.setLabelText(label)
    return dialog


def _answer(dialog: QInputDialog) -> str | None:
    """Run ``dialog`` (modal); its text, or ``None`` if cancelled. Deleted either way."""
    try:
        return dialog.textValue() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.hide()
        dialog.deleteLater()


def _name_the_list(dialog: QInputDialog, label: str) -> None:
    """The list a screen reader lands on is named by the question ("Snooze until"): Qt
    leaves it a bare "list", and buddies the question's label to a combo box it hides."""
    question = label.strip().rstrip(":：").strip()  # "Priority:", "Priorité :"
    for view in dialog.findChildren(QListView, options=Qt.FindChildOption.FindDirectChildrenOnly):
        view.setAccessibleName(question)
        for text in dialog.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly):
            text.setBuddy(view)


def choose_item(
    parent: QWidget,
    title: str,
    label: str,
    items: Sequence[str],
    current: int = 0,
    *,
    name: str,
) -> int | None:
    """The index of the chosen item, or ``None`` if the agent cancelled (modal)."""
    if not items:
        return None
    dialog = _named(parent, title, label, name)
    dialog.setComboBoxItems(list(items))
    dialog.setComboBoxEditable(False)
    dialog.setOption(QInputDialog.InputDialogOption.UseListViewForComboBoxItems, True)
    _name_the_list(dialog, label)
    dialog.setTextValue(items[max(0, min(current, len(items) - 1))])
    chosen = _answer(dialog)
    return list(items).index(chosen) if chosen is not None and chosen in items else None


def ask_text(parent: QWidget, title: str, label: str, text: str = "", *, name: str) -> str | None:
    """A line of text the agent typed, or ``None`` if they cancelled (modal); named like
    :func:`choose_item`'s dialog and deleted once answered."""
    dialog = _named(parent, title, label, name)
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setTextValue(text)
    return _answer(dialog)
