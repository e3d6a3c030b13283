"""The agent's actions on the open conversation, for ``MainWindow`` (a mixin: they use its
workstation, tasks and panels). Each writes locally first through the window's serial writer
and is announced; nothing here waits on the network or the disk on the GUI thread."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from csdesk import settings as opts
from csdesk.app import floor
from csdesk.app.present import priority_label
from csdesk.domain.enums import ConversationStatus, Priority
from csdesk.i18n import _
from csdesk.ui.choose import ask_text, choose_item
from csdesk.ui.panels.attachments_strip import AttachedFile, read_files

if TYPE_CHECKING:
    from csdesk.app.thread import ConversationView, CustomerContext
    from csdesk.app.workstation import Workstation
    from csdesk.settings import Settings
    from csdesk.storage.models import CannedResponse
    from csdesk.ui.models.inbox_model import InboxModel
    from csdesk.ui.panels.conversation import ConversationPanel
    from csdesk.ui.panels.inbox import InboxPanel
    from csdesk.ui.tasks import Tasks


class ConversationActions:
    @property
    def _widget(self) -> QWidget:
        """This window, as the parent of the dialogs its actions open."""
        assert isinstance(self, QWidget)
        return self

    if TYPE_CHECKING:  # provided by MainWindow
        ws: Workstation
        tasks: Tasks
        conversation: ConversationPanel
        inbox: InboxPanel
        model: InboxModel
        open_conv: ConversationView | None
        customer_ctx: CustomerContext | None

        def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None: ...
        def _task_failed(self, exc: Exception) -> None: ...

    def _need_open(self) -> str | None:
        if self.open_conv is None:
            self.say(_("No conversation is open."))
            return None
        return self.open_conv.id

    def _act(self, fn: object, done_text: str) -> None:
        assert callable(fn)

        def done(_changes: object) -> None:
            self.say(done_text)

        self.tasks.write(fn, done, self._task_failed)

    def _assigns_on_reply(self) -> bool:
        settings: Settings | None = getattr(self, "settings", None)
        return settings.get(opts.ASSIGN_ON_REPLY) if settings else opts.ASSIGN_ON_REPLY.default

    def send(self, body: str, note: bool, subject: str) -> None:
        cid = self._need_open()
        if cid is None:
            return
        composer = self.conversation.composer
        files = composer.attached()
        # Whoever answers an unassigned conversation has it (a claim: if someone else took
        # it meanwhile, the server refuses and says who).
        conv = self.open_conv
        take = not note and conv is not None and conv.assignee_id is None
        take = take and self._assigns_on_reply()
        # Mentions (docs/mentions.md): the teammates chosen in this note and still named in it.
        mention_desk = getattr(self, "mention_desk", None)
        mentions = mention_desk.chosen_in(body) if note and mention_desk is not None else []

        def work() -> None:
            self.ws.reply(cid, body, note=note, subject=subject, files=files, mentions=mentions)
            if take:
                self.ws.claim(cid)

        def done(_result: object) -> None:
            # Emptied where it was written; moved on meanwhile, the composer holds another
            # conversation's draft and keeps it (ui/drafts.py).
            if self.conversation.sent(cid, body):
                composer.text.setFocus()
            self.say(_("Note saved") if note else _("Reply queued for sending"))
            if mentions and mention_desk is not None:
                mention_desk.sent(mentions)
            if take:
                self.say(_("Assigned to you"))

        self.tasks.write(work, done, self._task_failed)

    def attach_files(self) -> None:
        """Choose files for the reply being written; their sizes are read on a worker and
        the composer checks them against the channel's limits at once."""
        if self._need_open() is None:
            return
        composer = self.conversation.composer
        paths, _filter = QFileDialog.getOpenFileNames(self._widget, _("Attach files"))
        if not paths:
            composer.attach.setFocus()
            return

        def chosen(files: list[AttachedFile]) -> None:
            composer.add_files(files)
            composer.text.setFocus()  # go on writing; Ctrl+Enter sends, Tab reaches the files

        self.tasks.run(
            lambda: read_files([Path(p) for p in paths]),
            chosen,
            lambda exc: self.say(str(exc), assertive=True),
        )

    def link_match(self, claim_id: str, name: str) -> None:
        """ "Link to this customer" on a typed identity's possible match (pushed via the outbox;
        the server decides whether the visitor's profile merges or this conversation moves)."""
        cid = self._need_open()
        if cid:
            self._act(
                lambda: self.ws.link_match(claim_id, cid),
                _("Linked to {name}").format(name=name),
            )

    def assign_me(self) -> None:
        cid = self._need_open()
        if cid:
            self._act(lambda: self.ws.claim(cid), _("Assigned to you"))

    def assign_other(self) -> None:
        cid = self._need_open()
        if cid is None:
            return
        ws = self.ws
        current = self.open_conv.assignee_id if self.open_conv else None
        names: dict[str | None, str] = {}  # a teammate's name without their status

        def load() -> list[tuple[str | None, str | None, str]]:
            # Teammates who can read it, or a team's queue (the conversation then waits there
            # unassigned); "nobody" last, never the default.
            # Each with their status, available teammates first (docs/floor.md).
            people = floor.assignees_with_status(ws, cid)
            names.update({uid: name for uid, name, _status in people})
            targets: list[tuple[str | None, str | None, str]] = [
                (uid, None, _("{name} — {status}").format(name=name, status=status))
                for uid, name, status in people
            ]
            targets += [
                (None, tid, _("Team: {name}").format(name=name)) for tid, name in ws.teams()
            ]
            targets.append((None, None, _("Nobody (unassign)")))
            return targets

        def choose(targets: list[tuple[str | None, str | None, str]]) -> None:
            labels = [label for _u, _t, label in targets]
            uids = [u for u, _t, _l in targets]
            # The current assignee; else the first teammate who is not me.
            default = uids.index(current) if current in uids else 0
            if current not in uids:
                default = next((i for i, u in enumerate(uids) if u and u != ws.me.id), 0)
            at = choose_item(
                self._widget,
                _("Assign to"),
                _("Assign this conversation to:"),
                labels,
                default,
                name="assign_dialog",
            )
            if at is not None:
                uid, tid, label = targets[at]
                self._act(
                    lambda: ws.assign(cid, uid, tid, set_team=tid is not None),
                    _("Assigned to {name}").format(name=names.get(uid) or label),
                )
                if uid != ws.me.id:  # given away: on to the next
                    self._move_on(cid)

        self.tasks.run(load, choose, self._task_failed)

    def open_attachment(self) -> None:
        """Download the selected message's attachment (asking which, if several) and hand it
        to the desktop's viewer; the download runs on a worker."""
        view = self.conversation.messages
        msg = self.conversation.model.message(view.currentIndex().row())
        if msg is None or not msg.attachments:
            self.say(_("The selected message has no attachments."))
            return
        names = [
            str(a.get("filename") or _("attachment {n}").format(n=n + 1))
            for n, a in enumerate(msg.attachments)
        ]
        index = 0
        if len(names) > 1:
            at = choose_item(
                self._widget,
                _("Open attachment"),
                _("Attachment:"),
                names,
                0,
                name="attachment_dialog",
            )
            if at is None:
                return
            index = at
        if not msg.attachments[index].get("sha256"):
            reason = msg.attachments[index].get("fetch_error")
            self.say(
                _("{name} was not downloaded: {reason}").format(name=names[index], reason=reason)
                if reason
                else _(
                    "This attachment's content is not on the server (too large, or only "
                    "a reference was received)."
                )
            )
            return
        target = Path(tempfile.gettempdir()) / "csdesk-attachments"
        name, message_id = names[index], msg.id

        def opened(path: Path) -> None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
            self.say(_("Opened {name}").format(name=name))

        self.tasks.run(
            lambda: self.ws.open_attachment(message_id, index, name, target),
            opened,
            lambda exc: self.say(
                _("Could not open {name}: {error}").format(name=name, error=exc), assertive=True
            ),
        )

    def show_formatted(self) -> None:
        from csdesk.ui.panels.email_view import EmailView

        view = self.conversation.messages
        msg = self.conversation.model.message(view.currentIndex().row())
        if msg is None or not msg.body_html:
            self.say(_("The selected message has no formatted version."))
            return

        def load(urls: list[str], done: Callable[[dict[str, bytes]], None]) -> None:
            from csdesk.sync.remote_images import fetch_images

            self.tasks.run(lambda: fetch_images(urls), done)

        html, attachments, message_id = msg.body_html, list(msg.attachments), msg.id

        def load_inline(done: Callable[[dict[str, bytes]], None]) -> None:
            from csdesk.app.inline_images import cid_urls, resolve

            if cid_urls(html):
                fetch = partial(self.ws.attachment, message_id)
                self.tasks.run(lambda: resolve(html, attachments, fetch), done)

        dialog = EmailView(
            msg.subject,
            msg.body_html,
            load,
            self._widget,
            load_inline=load_inline,
            tasks=self.tasks,
        )
        dialog.exec()
        view.setFocus()

    def _status(self, status: ConversationStatus, text: str) -> None:
        cid = self._need_open()
        if cid:
            self._act(lambda: self.ws.set_status(cid, status), text)
            if status != ConversationStatus.OPEN:  # set aside: on to the next
                self._move_on(cid)

    def _move_on(self, cid: str) -> None:
        """Open the conversation after ``cid`` in the list (before it, at the end): what
        resolve, snooze, pending and assigning away all do, so the highlighted conversation
        and the open one are always the same and the next action acts on what is seen."""
        # Not a copy of the list (a million ids is a pause); the current row is where it is.
        after = self.model.neighbour(cid, self.inbox.list.currentIndex().row())
        if after is not None:
            self.inbox.select_id(after)

    def resolve(self) -> None:
        """Resolve, then go on to the next conversation of the list (the usual next step)."""
        cid = self._need_open()
        if cid is None:
            return
        self._act(lambda: self.ws.resolve(cid), _("Resolved"))
        self._move_on(cid)

    def snooze(self) -> None:
        cid = self._need_open()
        if cid is None:
            return
        options = [
            (_("1 hour"), timedelta(hours=1)),
            (_("4 hours"), timedelta(hours=4)),
            (_("Tomorrow"), timedelta(days=1)),
            (_("Next week"), timedelta(days=7)),
        ]
        labels = [label for label, _d in options]
        at = choose_item(
            self._widget, _("Snooze"), _("Snooze until:"), labels, 0, name="snooze_dialog"
        )
        if at is not None:
            choice = labels[at]
            until = datetime.now(UTC) + options[at][1]
            self._act(
                lambda: self.ws.set_status(cid, ConversationStatus.SNOOZED, until),
                _("Snoozed for {span}").format(span=choice),
            )
            self._move_on(cid)

    def change_priority(self) -> None:
        cid = self._need_open()
        if cid is None:
            return
        levels = list(Priority)
        labels = [priority_label(p.value) for p in levels]
        current = labels.index(priority_label(self.open_conv.priority)) if self.open_conv else 1
        at = choose_item(
            self._widget, _("Priority"), _("Priority:"), labels, current, name="priority_dialog"
        )
        if at is not None:
            choice, level = labels[at], levels[at]
            self._act(
                lambda: self.ws.set_priority(cid, level), _("Priority {level}").format(level=choice)
            )

    def edit_tags(self) -> None:
        cid = self._need_open()
        if cid is None or self.open_conv is None:
            return
        current = ", ".join(self.open_conv.tags)
        text = ask_text(
            self._widget, _("Tags"), _("Tags, separated by commas:"), current, name="tags_dialog"
        )
        if text is not None:
            new = [t.strip() for t in text.split(",") if t.strip()]
            old = list(self.open_conv.tags)
            add = [t for t in new if t not in old]
            remove = [t for t in old if t not in new]
            self._act(lambda: self.ws.set_tags(cid, add, remove), _("Tags saved"))

    def _count_canned_use(self, canned_id: str) -> None:
        from csdesk.app.macro_desk import count_canned_use

        self.tasks.write(lambda: count_canned_use(self.ws, canned_id), None, self._task_failed)

    def choose_canned(self) -> None:
        from csdesk.ui.panels.canned import choose_canned, placeholder_values

        conv, ctx = self.open_conv, self.customer_ctx
        if conv is None:
            self.say(_("No conversation is open."))
            return

        def show(responses: list[CannedResponse]) -> None:
            if self.open_conv is None or self.open_conv.id != conv.id:
                return  # the agent moved on while the list loaded
            filled = choose_canned(
                self._widget,
                responses,
                placeholder_values(self.ws, ctx),
                ctx.language if ctx else conv.language,
                self._count_canned_use,
            )
            if filled is None:
                return
            self.conversation.composer.insert(filled.text)
            if filled.missing:
                self.say(_("Fill in by hand: {names}").format(names=", ".join(filled.missing)))

        self.tasks.run(lambda: self.ws.canned_responses(conv.channel), show, self._task_failed)
