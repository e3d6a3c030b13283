"""The windows a conversation desk works in (docs/pop-out.md).

The desks of the open conversation (macros, scheduled send and reminders, translation,
WhatsApp templates, merge and split, read aloud) are built once per window: by the main window
for its conversation pane, and by each pop-out for its own. They reach the window only through
what both have: ``ws``, ``tasks``, ``settings``, ``bridge``, ``actions_``, ``conversation`` (the
conversation panel), ``open_conv`` / ``open_id`` / ``customer_ctx`` (the current conversation),
``notice_label``, ``speech``, ``tray``, ``say``, ``show_notice``, ``_task_failed``,
``_load_conversation`` (read the current conversation again), ``open_conversation`` and
``_open_from_customer`` (a pop-out hands these to the main window) and the ``announced``
signal.

A desk built with ``everywhere=False`` (a pop-out's) leaves the desk-wide news to the main
window's desk: the server's refusals (the main window says every one; a pop-out says those of
its conversation), due reminders and replies that followed a merge are said once, not once
per window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.pop_out_window import PopOutWindow

    DeskWindow: TypeAlias = MainWindow | PopOutWindow
