"""Issue 9 item 28: no key does two things in one place.

Walks every focus context of the window (inbox, thread, composer text, search, and every other
focusable widget) and of every dialog, collects what each key does there (the action registry's
shortcuts and the &-mnemonics of visible buttons, buddied labels, group boxes), and asserts
that no key sequence is bound twice in one context, and that none is a standard editing key of
the text field that has the focus (Ctrl+Shift+Z in the reply box was Redo, not snooze; Alt+S
was both "Sort" and "Send").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import View
from csdesk.settings import Settings
from csdesk.ui.actions import _takes_text, specs
from csdesk.ui.main_window import MainWindow
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess

PORTABLE = QKeySequence.SequenceFormat.PortableText
SK = QKeySequence.StandardKey

#: The standard keys a text field acts on itself.
EDITING = {
    SK.Undo, SK.Redo, SK.Cut, SK.Copy, SK.Paste, SK.Delete, SK.SelectAll, SK.Deselect,
    SK.Backspace, SK.DeleteStartOfWord, SK.DeleteEndOfWord, SK.DeleteEndOfLine,
    SK.DeleteCompleteLine, SK.InsertParagraphSeparator, SK.InsertLineSeparator,
    *(k for k in SK if k.name.startswith(("MoveTo", "Select"))),
}  # fmt: skip

#: A test machine has one keyboard scheme; these are the text-editing keys of the others, from
#: Qt's binding table (qtbase src/gui/kernel/qplatformtheme.cpp; "Ctrl" is Command on macOS).
OTHER_PLATFORMS = {
    "Ctrl+Shift+Z": "Redo (Linux, macOS)",
    "Ctrl+Y": "Redo (Windows)",
    "Ctrl+E": "Move to end of line (Linux)",
    "Ctrl+K": "Delete to end of line (Linux)",
    "Ctrl+U": "Delete the line (Linux)",
    "Ctrl+Shift+A": "Deselect (Linux)",
    "Ctrl+Up": "Move to start of document (macOS)",
    "Ctrl+Down": "Move to end of document (macOS)",
    "Ctrl+Left": "Move to start of line (macOS)",
    "Ctrl+Right": "Move to end of line (macOS)",
    "Ctrl+Shift+Up": "Select to start of document (macOS)",
    "Ctrl+Shift+Down": "Select to end of document (macOS)",
}


def _norm(keys: str | QKeySequence) -> str:
    return QKeySequence(keys).toString(PORTABLE)


def editing_keys() -> dict[str, str]:
    keys = {_norm(k): what for k, what in OTHER_PLATFORMS.items()}
    for key in EDITING:
        for seq in QKeySequence.keyBindings(key):
            keys.setdefault(seq.toString(PORTABLE), key.name)
    return keys


@dataclass(frozen=True)
class Binding:
    keys: str
    what: str


def _mnemonic_text(w: QWidget) -> str | None:
    if isinstance(w, QAbstractButton):
        return w.text()
    if isinstance(w, QLabel) and w.buddy() is not None:
        return w.text()
    if isinstance(w, QGroupBox):
        return w.title()
    return None


def bindings(top: QWidget, focus: QWidget) -> list[Binding]:
    """What each key does in ``top`` while ``focus`` has the focus."""
    typing = _takes_text(focus)
    found: list[Binding] = []
    seen: set[int] = set()
    for action in [*top.actions(), *top.findChildren(QAction)]:
        owner = action.parent()
        if id(action) in seen or not isinstance(owner, QWidget) or owner.window() is not top:
            continue
        seen.add(id(action))
        for seq in action.shortcuts():
            keys = seq.toString(PORTABLE)
            if typing and len(keys) == 1:
                continue  # single keys are text in a text field (ui.actions._TextKeysFirst)
            found.append(Binding(keys, f"action {action.objectName()}"))
    for w in top.findChildren(QWidget):
        if w.window() is not top or not w.isVisibleTo(top):
            continue
        if isinstance(w, QTabBar):
            texts = [w.tabText(i) for i in range(w.count())]
        else:
            text = _mnemonic_text(w)
            texts = [text] if text else []
        for text in texts:
            mnemonic = QKeySequence.mnemonic(text)
            if not mnemonic.isEmpty():
                found.append(Binding(mnemonic.toString(PORTABLE), f"mnemonic “{text}”"))
    return found


def clashes(name: str, top: QWidget) -> list[str]:
    """Every clash in every focus context of ``top`` (each focusable, visible widget)."""
    editing = editing_keys()
    problems: list[str] = []
    focusable = [
        w
        for w in [top, *top.findChildren(QWidget)]
        if w.window() is top and w.isVisibleTo(top) and w.focusPolicy() != Qt.FocusPolicy.NoFocus
    ]
    for focus in focusable:
        where = f"{name}, focus in {focus.objectName() or type(focus).__name__}"
        by_key: dict[str, set[str]] = defaultdict(set)
        for b in bindings(top, focus):
            by_key[b.keys].add(b.what)
        for keys, whats in sorted(by_key.items()):
            if len(whats) > 1:  # everywhere in this window: said once, not per focus
                problems.append(f"{name}: {keys} is {' and '.join(sorted(whats))}")
            if _takes_text(focus) and keys in editing:
                problems.append(
                    f"{where}: {keys} is {', '.join(sorted(whats))} but the text field's "
                    f"{editing[keys]}"
                )
    return sorted(set(problems))


@pytest.fixture
def window(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> Iterator[MainWindow]:
    w = desk_factory(demo_server, "demo").window
    qtbot.waitUntil(lambda: w.shown_view == View.MINE and w.model.rowCount() > 0, timeout=20_000)
    w.inbox.list.setFocus()
    w.actions_["next_conversation"].trigger()
    qtbot.waitUntil(lambda: w.conversation.current is not None, timeout=10_000)
    w.conversation.composer.start(note=False)  # the reply box is open: its keys count too
    yield w


def test_no_key_does_two_things_in_the_window(window: MainWindow) -> None:
    w = window
    assert w.conversation.composer.text.isVisibleTo(w)
    for focus in (w.inbox.list, w.conversation.messages, w.conversation.composer.text):
        assert focus.isVisibleTo(w)
    assert w.inbox.search.isVisibleTo(w)
    assert clashes("main window", w) == []


def test_no_key_does_two_things_in_any_dialog(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from csdesk.ui.appearance import Appearance
    from csdesk.ui.panels.canned import CannedDialog
    from csdesk.ui.panels.email_view import EmailView
    from csdesk.ui.panels.settings import SettingsDialog
    from csdesk.ui.panels.shortcuts import ShortcutsDialog
    from csdesk.ui.panels.signin import SignInDialog
    from csdesk.ui.panels.template_dialog import TemplateDialog
    from csdesk.ui.panels.training import TrainingDialog
    from csdesk.ui.panels.wrapup import WrapUpDialog

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = Settings(tmp_path / "settings.json", {})
    training = TrainingDialog(lambda _t, _s: None, None, parent=window)
    dialogs: list[tuple[str, QWidget]] = [
        ("sign-in", SignInDialog("http://127.0.0.1:1", "demo", hint="Demo users")),
        ("canned responses", CannedDialog([("Greeting", "Hello {name}")], window)),
        ("shortcut sheet", ShortcutsDialog(list(window.actions_), window)),
        ("wrap-up", WrapUpDialog("Ana", ["Greeting"], window)),
        ("email view", EmailView("Subject", "<p>Hi</p>", lambda _u, _d: None, window)),
        ("settings", SettingsDialog(settings, Appearance(app, settings), None, window)),
        ("template", TemplateDialog(window.tasks, lambda _r: _no_templates(), window)),
        ("training", training),
        *_order_dialogs(window),
        *_qa_dialogs(window),
        # Translation (issue 13): the reply and its translation side by side.
        ("translate reply", _translate_dialog(window)),
    ]
    problems: list[str] = []
    for name, dialog in dialogs:
        problems += clashes(name, dialog)
    training.registry.enable(["send", "training_hint", "training_end"], True)
    training.pages.setCurrentIndex(1)  # the session page: the reply field has the focus
    problems += clashes("training session", training)
    for _name, dialog in dialogs:
        dialog.deleteLater()
    assert problems == []


def _order_dialogs(window: MainWindow) -> list[tuple[str, QWidget]]:
    """The order-action dialogs (issue 11), each kind group, and goodwill and approvals."""
    from datetime import UTC, datetime

    from csdesk.app.order_actions import LineChoice, OrderChoice
    from csdesk.domain.order_actions import OrderActionKind as K
    from csdesk.ui.panels.approvals import ApprovalsDialog
    from csdesk.ui.panels.goodwill_dialog import GoodwillDialog
    from csdesk.ui.panels.order_action_dialog import OrderActionDialog

    left = {"refund": 2, "return": 2, "resend": 2}
    order = OrderChoice(
        "o1", "#1001", "delivered", 5000, "EUR", None, datetime.now(UTC), True, 5000,
        (LineChoice("l1", "Salt & Pepper", "S1", 2, 2500, left),), (), (),
    )  # fmt: skip
    groups = {
        "refund": [K.REFUND],
        "return or exchange": [K.RETURN, K.EXCHANGE],
        "other order actions": [K.CANCEL, K.RESEND, K.ADDRESS, K.NOTE],
    }
    out: list[tuple[str, QWidget]] = [
        (name, OrderActionDialog("Ana", [order], kinds, window, title=name))
        for name, kinds in groups.items()
    ]
    address = OrderActionDialog("Ana", [order], groups["other order actions"], window, title="x")
    address.kind_box.setCurrentIndex(2)
    out.append(("address change", address))
    out.append(("goodwill", GoodwillDialog("Ana", 10, window)))
    out.append(("approvals", ApprovalsDialog(window)))
    return out


def _qa_dialogs(window: MainWindow) -> list[tuple[str, QWidget]]:
    """Quality review (issue 12): the review dialog, the rubric editor and My reviews."""
    from datetime import UTC, datetime

    from csdesk.app.qa import MessageLine, Review, Rubric
    from csdesk.server.demo.qa import DEFAULT_RUBRIC
    from csdesk.ui.panels.qa_delete_confirm import QaDeleteConfirm
    from csdesk.ui.panels.qa_my_reviews import MyReviewsDialog
    from csdesk.ui.panels.qa_review_dialog import QaReviewDialog
    from csdesk.ui.panels.qa_rubric_editor import QaRubricEditor

    rubric = Rubric.of({"id": "r1", "name": "Default rubric", "criteria": DEFAULT_RUBRIC})
    lines = [MessageLine("m1", "Ana wrote: hi"), MessageLine("m2", "You replied: hello")]
    review = Review(
        "v1", "c1", "Where is my order?", "Ana", "Demo Agent", "Sam", rubric,
        {"greeting": 1}, (("m2", "Nice"),), "Good", 100.0, datetime.now(UTC),
    )  # fmt: skip
    mine = MyReviewsDialog([review], window)
    mine.show_detail(review, lines)
    return [
        ("quality review", QaReviewDialog(rubric, lines, review, window)),
        ("review rubric", QaRubricEditor(rubric, window)),
        ("my reviews", mine),
        ("delete review", QaDeleteConfirm(review, window)),  # deleting a review (docs/qa.md)
    ]


def _translate_dialog(window: MainWindow) -> QWidget:
    from csdesk.ui.panels.translate_dialog import TranslateReplyDialog

    return TranslateReplyDialog("Hello", "Hallo", "German", "DeepL", window)


def _no_templates() -> object:
    raise RuntimeError("no templates here")


def test_every_registry_shortcut_is_a_valid_single_sequence() -> None:
    for spec in specs():
        for keys in spec.shortcuts:
            seq = QKeySequence(keys)
            assert seq.count() == 1 and _norm(seq) == _norm(keys), (spec.id, keys)
