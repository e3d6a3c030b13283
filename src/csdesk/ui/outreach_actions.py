"""Writing first, for ``MainWindow`` (a mixin like ``CustomerActions``): start a conversation
with the open conversation's customer, and the outreach list of late orders.

Both become outbox mutations on the window's serial writer (``conversation.start``,
``outreach.send``, ``outreach.dismiss``): shown at once, pushed when possible; the server's
refusals (an opted-out customer, an order already written about, a closed WhatsApp window)
come back as rejections the window announces. Dialogs open window-modal (``open()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity

if TYPE_CHECKING:
    from collections.abc import Callable

    from csdesk.app.customers import CustomerChoice
    from csdesk.app.outreach import OutreachItem, StartChoice
    from csdesk.app.thread import CustomerContext
    from csdesk.app.wa_templates import Template
    from csdesk.app.workstation import Workstation
    from csdesk.sync.events import ChangeSet
    from csdesk.ui.actions import ActionRegistry
    from csdesk.ui.tasks import Tasks


class OutreachActions:
    outreach_dialog: QDialog | None = None  # the one open now (tests find it)

    if TYPE_CHECKING:  # provided by MainWindow
        ws: Workstation
        tasks: Tasks
        customer_ctx: CustomerContext | None
        actions_: ActionRegistry

        def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None: ...
        def _task_failed(self, exc: Exception) -> None: ...

    @property
    def _window(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def _wire_outreach(self) -> None:
        self.actions_.bind("new_conversation", self.new_conversation)
        self.actions_.bind("outreach_list", self.open_outreach)

    def _show_dialog(self, dialog: QDialog) -> None:
        focus = self._window.focusWidget()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def closed(_result: int) -> None:
            if self.outreach_dialog is dialog:
                self.outreach_dialog = None
            if focus is not None:
                self._window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(closed)
        self.outreach_dialog = dialog
        dialog.open()

    # --- new conversation ------------------------------------------------------------------

    def new_conversation(self) -> None:
        """Write first to the open conversation's customer, or, with none open, to a customer
        found by name, email or phone (one who has never written in, say)."""
        ctx = self.customer_ctx
        if ctx is None:
            self._find_customer_to_write()
            return
        if ctx.merged_into is not None:
            self.say(_("This profile was merged into another customer."))
            return
        self._ask_how(ctx.id, ctx.name)

    def _find_customer_to_write(self) -> None:
        from csdesk.ui.panels.customer_merge import CustomerChooser

        ws, tasks = self.ws, self.tasks

        def search(query: str, done: Callable[[list[CustomerChoice]], None]) -> None:
            tasks.run(lambda: ws.find_customers(query, None), done, self._task_failed)

        chooser = CustomerChooser(
            "",
            search,
            self._window,
            wording=(
                _("Write to a customer"),
                _("Find the customer to start a conversation with, then choose how to write."),
                _("Choose customer…"),
                _("Write to the highlighted customer"),
            ),
            none_text=_("No customer matches."),
        )

        def finished(result: int) -> None:
            target = chooser.chosen() if result == QDialog.DialogCode.Accepted else None
            if target is not None:
                self._ask_how(target.id, target.name)

        chooser.finished.connect(finished)
        self._show_dialog(chooser)
        chooser.field.setFocus()

    def _ask_how(self, cust_id: str, name: str) -> None:
        ws = self.ws
        self.tasks.run(
            lambda: ws.start_choices(cust_id),
            lambda choices: self._new_conversation_dialog(cust_id, name, choices),
            self._task_failed,
        )

    def _new_conversation_dialog(
        self, customer_id: str, name: str, choices: list[StartChoice]
    ) -> None:
        from csdesk.ui.panels.new_conversation import NewConversationDialog

        dialog = NewConversationDialog(name, choices, self._window)
        dialog.template_requested.connect(
            lambda choice: self._start_with_template(customer_id, name, choice)
        )

        def accepted() -> None:
            choice = dialog.choice()
            if choice is None or choice.how.value == "template":
                return  # the template dialog takes it from here
            body, subject = dialog.body(), dialog.subject_text()
            self._start(customer_id, name, choice, body, subject)

        dialog.accepted.connect(accepted)
        self._show_dialog(dialog)
        dialog.message.setFocus()

    def _start(
        self,
        customer_id: str,
        name: str,
        choice: StartChoice,
        body: str,
        subject: str,
        template: dict[str, object] | None = None,
    ) -> None:
        ws = self.ws

        def done(_cid: object) -> None:
            self.say(
                _("Conversation with {name} started by {channel}").format(
                    name=name, channel=choice.channel
                )
            )

        self.tasks.write(
            lambda: ws.start_conversation(
                customer_id,
                choice.channel,
                body,
                identity_id=choice.identity_id,
                subject=subject,
                template=template,
            ),
            done,
            self._task_failed,
        )

    def _start_with_template(self, customer_id: str, name: str, choice: StartChoice) -> None:
        from csdesk.app import wa_templates
        from csdesk.ui.panels.template_dialog import TemplateDialog

        ws = self.ws
        dialog = TemplateDialog(
            self.tasks, lambda refresh: wa_templates.load(ws, refresh=refresh), self._window
        )

        def chosen(template: Template, parameters: list[str]) -> None:
            params = [p.strip() for p in parameters]
            self._start(
                customer_id,
                name,
                choice,
                template.render(params),
                "",
                {"name": template.name, "language": template.language, "parameters": params},
            )

        dialog.chosen.connect(chosen)
        self._show_dialog(dialog)
        dialog.reload()

    # --- the outreach list -----------------------------------------------------------------

    def open_outreach(self) -> None:
        self.tasks.run(self.ws.outreach_items, self._outreach_dialog, self._task_failed)

    def _outreach_dialog(self, items: list[OutreachItem]) -> None:
        from csdesk.ui.panels.outreach_list import OutreachDialog

        dialog = OutreachDialog(items, self._window)
        dialog.send_requested.connect(self._send_outreach)
        dialog.dismiss_requested.connect(self._dismiss_outreach)
        dialog.template_requested.connect(lambda oid: self._outreach_template(dialog, oid))
        self._show_dialog(dialog)
        dialog.list.setFocus()
        self.say(dialog.summary.text())

    def outreach_changes(self, changes: ChangeSet) -> None:
        """Keep an open outreach list current: the server's scanner and colleagues change it."""
        from csdesk.ui.panels.outreach_list import OutreachDialog

        dialog = self.outreach_dialog
        if not isinstance(dialog, OutreachDialog):
            return
        if changes.everything or changes.touches(Entity.OUTREACH):

            def fresh(items: list[OutreachItem]) -> None:
                if self.outreach_dialog is dialog:
                    dialog.update_items(items)

            self.tasks.run(self.ws.outreach_items, fresh, self._task_failed)

    def _send_outreach(self, items: list[tuple[str, str, str]]) -> None:
        ws, n = self.ws, len(items)

        def done(_ids: object) -> None:
            self.say(
                ngettext(
                    "Delay notice queued for {n} customer; each reply comes back to you",
                    "Delay notices queued for {n} customers; each reply comes back to you",
                    n,
                ).format(n=n)
            )

        self.tasks.write(lambda: ws.send_outreach(items), done, self._task_failed)

    def _outreach_template(self, listing: QDialog, outreach_id: str) -> None:
        """The template dialog over the list; the chosen template goes to that customer."""
        from csdesk.app import wa_templates
        from csdesk.ui.panels.outreach_list import OutreachDialog
        from csdesk.ui.panels.template_dialog import TemplateDialog

        ws = self.ws
        dialog = TemplateDialog(
            self.tasks, lambda refresh: wa_templates.load(ws, refresh=refresh), listing
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(template: Template, parameters: list[str]) -> None:
            params = [p.strip() for p in parameters]
            choice: dict[str, object] = {
                "name": template.name,
                "language": template.language,
                "parameters": params,
            }
            self.tasks.write(
                lambda: ws.send_outreach_template(outreach_id, template.render(params), choice),
                lambda _cid: self.say(
                    _("Template {name} queued for sending").format(name=template.name)
                ),
                self._task_failed,
            )
            if isinstance(listing, OutreachDialog):
                listing.remove([outreach_id])

        dialog.chosen.connect(chosen)
        dialog.open()
        dialog.reload()

    def _dismiss_outreach(self, outreach_id: str) -> None:
        ws = self.ws
        self.tasks.write(
            lambda: ws.dismiss_outreach(outreach_id),
            lambda _c: self.say(_("Taken off the list; nobody is written to.")),
            self._task_failed,
        )
