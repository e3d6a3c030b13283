"""Status is never told by colour alone (WCAG 1.4.1), checked by drawing it without colour.

Every colour token is collapsed to black (ink: text, borders, rings) or white (paper: every
background), and each state of a message or an inbox row is painted by the real delegate. Two
states that still look the same have nothing but colour between them. A control case shows the
method would notice: two message kinds given identical words look different in colour and the
same without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import InboxRow
from csdesk.app.present import MessageTexts, inbox_texts, message_texts
from csdesk.app.thread import MessageView
from csdesk.domain.enums import ConversationStatus, DeliveryStatus, Priority
from csdesk.theme.themes import THEMES
from csdesk.theme.tokens import COLOUR_TOKENS, Theme
from csdesk.ui.models.inbox_model import Role
from csdesk.ui.models.thread_model import TEXTS_ROLE
from csdesk.ui.panels.inbox import InboxDelegate
from csdesk.ui.panels.thread_view import MessageDelegate

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ME = "u-me"
_INK = ("text", "border", "focus", "link", "ring", "_fg")


def _colourless(theme: Theme) -> Theme:
    """``theme`` with every colour replaced by black ink or white paper."""
    ink = {n: "#000000" for n in COLOUR_TOKENS if any(k in n for k in _INK)}
    paper = {n: "#ffffff" for n in COLOUR_TOKENS if n not in ink}
    changes: dict[str, Any] = {**ink, **paper}
    return dataclasses.replace(theme, **changes)


def _palette(theme: Theme) -> QPalette:
    pal = QPalette()
    for role, token in (
        (QPalette.ColorRole.Text, theme.text),
        (QPalette.ColorRole.PlaceholderText, theme.text_muted),
        (QPalette.ColorRole.Base, theme.surface),
        (QPalette.ColorRole.Window, theme.window_bg),
        (QPalette.ColorRole.Highlight, theme.selection_bg),
        (QPalette.ColorRole.HighlightedText, theme.selection_text),
    ):
        pal.setColor(role, QColor(token))
    return pal


def _render(delegate: object, role: int, value: object, theme: Theme) -> QImage:
    model = QStandardItemModel()
    item = QStandardItem()
    item.setData(value, role)
    model.appendRow(item)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 520, 90)
    option.font = QFont()
    option.palette = _palette(theme)
    image = QImage(520, 90, QImage.Format.Format_RGB32)
    image.fill(QColor(theme.surface))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0, 0))  # type: ignore[attr-defined]
    painter.end()
    return image


def _message(**over: object) -> MessageView:
    base: dict[str, object] = {
        "id": "m1",
        "direction": "out",
        "is_note": False,
        "author_name": "Ann Lee",
        "author_user_id": "u-other",
        "channel": "email",
        "subject": "",
        "body_text": "Your parcel left our warehouse this morning.",
        "body_html": None,
        "attachments": (),
        "delivery_status": DeliveryStatus.SENT.value,
        "failure_reason": None,
        "created_at": NOW - timedelta(minutes=5),
    }
    base.update(over)
    return MessageView(**base)  # type: ignore[arg-type]


def _row(**over: object) -> InboxRow:
    base: dict[str, object] = {
        "id": "c1",
        "channel": "chat",
        "customer_name": "Ann Lee",
        "subject": "Where is my parcel?",
        "preview": "",
        "status": ConversationStatus.OPEN.value,
        "priority": Priority.NORMAL.value,
        "assignee_id": None,
        "assignee_name": "Mateo Ruiz",
        "waiting_since": NOW - timedelta(minutes=3),
        "first_response_due_at": NOW + timedelta(hours=4),
        "resolution_due_at": None,
        "first_response_at": None,
        "last_message_at": NOW - timedelta(minutes=3),
        "unread": False,
        "tags": (),
    }
    base.update(over)
    return InboxRow(**base)  # type: ignore[arg-type]


def _all_distinct(images: dict[str, QImage]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in combinations(images, 2) if images[a] == images[b]]


MESSAGE_STATES: dict[str, MessageView] = {
    "inbound": _message(direction="in", delivery_status=DeliveryStatus.DELIVERED.value),
    "note": _message(is_note=True),
    "automatic reply": _message(
        direction="in", delivery_status="received", is_auto=True, auto_kind="auto_reply"
    ),
    "unverified sender": _message(
        direction="in", delivery_status="received", sender_warning="DMARC failed"
    ),
    **{
        f"outbound {s.value}": _message(delivery_status=s.value, failure_reason="bounced")
        for s in DeliveryStatus
    },
}


def _row_states() -> Iterable[tuple[str, InboxRow]]:
    for p in Priority:
        yield f"priority {p.value}", _row(priority=p.value)
    yield "unread", _row(unread=True)
    yield "SLA at risk", _row(first_response_due_at=NOW + timedelta(minutes=4))
    yield "SLA breached", _row(first_response_due_at=NOW - timedelta(minutes=20))


def test_message_states_differ_without_colour(qtbot: QtBot) -> None:
    mono = _colourless(THEMES["light"])  # every theme collapses to the same ink and paper
    delegate = MessageDelegate(mono)
    images = {
        name: _render(delegate, TEXTS_ROLE, message_texts(msg, ME, NOW), mono)
        for name, msg in MESSAGE_STATES.items()
    }
    assert _all_distinct(images) == []


def test_inbox_row_states_differ_without_colour(qtbot: QtBot) -> None:
    mono = _colourless(THEMES["light"])
    delegate = InboxDelegate(mono)
    states = dict(_row_states())
    images = {
        name: _render(delegate, Role.TEXTS, inbox_texts(row, NOW), mono)
        for name, row in states.items()
    }
    assert _all_distinct(images) == []


def test_the_check_notices_a_difference_made_of_colour_only(qtbot: QtBot) -> None:
    theme = THEMES["light"]
    same_words = {"header": "Ann Lee · Email · 5 min ago", "body": "Hello", "sentence": "x"}
    inbound = MessageTexts(kind="in", **same_words)
    outbound = MessageTexts(kind="out", **same_words)
    # Two bubbles that differ in colour only (another inbound background): the check sees
    # the difference in colour and none once the colour is taken away.
    other = dataclasses.replace(theme, inbound_bubble_bg="#ffe0e0")
    assert _render(MessageDelegate(theme), TEXTS_ROLE, inbound, theme) != _render(
        MessageDelegate(other), TEXTS_ROLE, inbound, other
    )
    mono, mono_other = _colourless(theme), _colourless(other)
    assert _render(MessageDelegate(mono), TEXTS_ROLE, inbound, mono) == _render(
        MessageDelegate(mono_other), TEXTS_ROLE, inbound, mono_other
    )
    # The look (issue 13): customer and agent messages sit on opposite sides, so they differ
    # even without colour.
    plain = MessageDelegate(mono)
    assert _render(plain, TEXTS_ROLE, inbound, mono) != _render(plain, TEXTS_ROLE, outbound, mono)


def test_colourless_theme_keeps_ink_on_paper() -> None:
    mono = _colourless(THEMES["high_contrast"])
    assert {mono.text, mono.focus_ring, mono.error_fg} == {"#000000"}
    assert {mono.surface, mono.error_bg, mono.outbound_bubble_bg} == {"#ffffff"}
