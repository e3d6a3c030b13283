"""The trainee's reminder that this is the training sandbox, never real customers.

A trainee's desk shows only the sandbox realm, and the server refuses them production data;
the banner says so on screen, where a trainee (or a supervisor looking over their shoulder)
sees it all day, and the window title says it to a screen reader on every focus change.
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from csdesk.domain.enums import Role
from csdesk.i18n import _
from csdesk.ui.plain_text import PlainLabel

__all__ = ["window_title", "with_sandbox_banner"]


def window_title(display_name: str, role: str) -> str:
    if role == Role.TRAINEE.value:
        return _("csdesk — {name} (training sandbox)").format(name=display_name)
    return _("csdesk — {name}").format(name=display_name)


def with_sandbox_banner(role: str, content: QWidget, parent: QWidget) -> QWidget:
    """``content`` as it is, or for a trainee under a banner that says where they are."""
    if role != Role.TRAINEE.value:
        return content
    holder = QWidget(parent)
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    text = _(
        "Training sandbox: these are practice customers. Nothing you send here reaches a real "
        "customer or the shop's real data."
    )
    banner = PlainLabel(text, holder)
    banner.setObjectName("sandbox_banner")
    banner.setProperty("banner", "warning")
    banner.setWordWrap(True)
    layout.addWidget(banner)
    layout.addWidget(content, 1)
    return holder
