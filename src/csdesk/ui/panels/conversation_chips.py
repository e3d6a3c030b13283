"""The conversation header's second line: channel, customer, status, priority and tags as
chips, and the assignee. Each chip is a plain-text label, so a screen reader reads the words;
the colour (a theme token through the ``chip`` property) only repeats them."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from csdesk.app.present import channel_label, priority_label
from csdesk.app.thread import ConversationView
from csdesk.i18n import _
from csdesk.theme.tokens import CHANNEL_TOKENS, Theme
from csdesk.ui.flow_layout import FlowLayout
from csdesk.ui.icons import channel_icon_name, icon, icon_size
from csdesk.ui.plain_text import PlainLabel

__all__ = ["ACTION_ICONS", "HeaderChips"]

#: Icons of the conversation's action buttons (by action name; the text is always beside it).
ACTION_ICONS: dict[str, str] = {
    "assign_me": "user-check",
    "assign_other": "user-plus",
    "resolve": "circle-check",
    "pending": "circle-pause",
    "reopen": "rotate-ccw",
    "snooze": "alarm-clock",
    "priority": "flag",
    "tags": "tag",
}

_STATUS_CHIP = {"open": "info", "pending": "warning", "snoozed": "", "resolved": "success"}
_PRIORITY_CHIP = {"urgent": "error", "high": "warning"}


def _status_label(status: str) -> str:
    return {
        "open": _("Open"),
        "pending": _("Pending"),
        "snoozed": _("Snoozed"),
        "resolved": _("Resolved"),
    }.get(status, status)


class HeaderChips(QWidget):
    """No signals: it only shows."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation_chips")
        self.theme = theme
        self.flow = FlowLayout(self)
        self.flow.setContentsMargins(0, 0, 0, 0)
        self._channel = ""
        self.channel_icon = PlainLabel(self)
        self.channel_icon.setObjectName("chip_channel_icon")
        self.channel = self._chip("chip_channel")
        self.customer = PlainLabel(self)
        self.customer.setObjectName("chip_customer")
        self.status = self._chip("chip_status")
        self.priority = self._chip("chip_priority")
        self.tags: list[QLabel] = []
        self.assignee = PlainLabel(self)
        self.assignee.setObjectName("chip_assignee")
        self.assignee.setProperty("role", "muted")
        for w in (
            self.channel_icon,
            self.channel,
            self.customer,
            self.status,
            self.priority,
            self.assignee,
        ):
            self.flow.addWidget(w)

    def _chip(self, name: str, kind: str = "") -> PlainLabel:
        chip = PlainLabel(self)
        chip.setObjectName(name)
        chip.setProperty("chip", kind)
        return chip

    @staticmethod
    def _restyle(chip: QLabel, kind: str) -> None:
        if chip.property("chip") != kind:
            chip.setProperty("chip", kind)
            chip.style().unpolish(chip)
            chip.style().polish(chip)

    def show_conversation(
        self, conv: ConversationView | None, customer_name: str, assignee_name: str | None
    ) -> None:
        self.setVisible(conv is not None)
        if conv is None:
            return
        self._channel = conv.channel
        self._paint_icon()
        self.channel.setText(channel_label(conv.channel))
        self.customer.setText(customer_name)
        self.status.setText(_status_label(conv.status))
        self._restyle(self.status, _STATUS_CHIP.get(conv.status, ""))
        self.priority.setText(
            _("{priority} priority").format(priority=priority_label(conv.priority))
        )
        self._restyle(self.priority, _PRIORITY_CHIP.get(conv.priority, ""))
        for old in self.tags:
            self.flow.removeWidget(old)
            old.deleteLater()
        self.tags = []
        for tag in conv.tags:
            chip = self._chip("chip_tag")
            chip.setText(f"#{tag}")
            chip.setAccessibleName(_("Tag {tag}").format(tag=tag))
            self.flow.addWidget(chip)  # after the assignee: tags can be many
            chip.show()
            self.tags.append(chip)
        self.assignee.setText(
            _("Assigned to {name}").format(name=assignee_name) if assignee_name else _("Unassigned")
        )

    def _paint_icon(self) -> None:
        token = f"channel_{self._channel}"
        if token not in CHANNEL_TOKENS:
            self.channel_icon.clear()
            return
        size = icon_size(self.fontMetrics().height())
        pic = icon(channel_icon_name(self._channel), self.theme.colour(token), size.width())
        self.channel_icon.setPixmap(pic.pixmap(size))
        # The picture says nothing a screen reader needs: the channel chip beside it names it.
        self.channel_icon.setAccessibleName(channel_label(self._channel))

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._paint_icon()
