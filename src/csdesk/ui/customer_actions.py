"""The agent's actions on the open conversation's customer, for ``MainWindow`` (a mixin like
``ConversationActions``): edit the profile, merge it into another, undo a merge, link the
open conversation to another customer; and the customer's timeline (loaded on a worker
whenever the pane shows a customer, focused with its shortcut).

Each becomes an outbox mutation on the window's serial writer: applied to the local copy at
once (offline too) and pushed when possible; a refusal reverts it and is said on the card.
Dialogs open window-modal (``open()``), so nothing here runs a nested event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from csdesk.domain.access import can_change_profiles, realm_of_role
from csdesk.i18n import _
from csdesk.protocol import MutationType
from csdesk.ui.choose import choose_item

if TYPE_CHECKING:
    from collections.abc import Callable

    from csdesk.app.customers import CustomerChoice, MergePreview
    from csdesk.app.thread import ConversationView, CustomerContext
    from csdesk.app.timeline import TimelineItem
    from csdesk.app.workstation import Workstation
    from csdesk.sync.events import Rejection
    from csdesk.ui.actions import ActionRegistry
    from csdesk.ui.models.inbox_model import InboxModel
    from csdesk.ui.panels.customer import CustomerPane
    from csdesk.ui.tasks import Tasks

#: The refusals the customer's card explains (their args name a customer).
CUSTOMER_MUTATIONS = {
    MutationType.CUSTOMER_UPDATE.value: ("customer_id",),
    MutationType.CUSTOMER_MERGE.value: ("source_customer_id", "target_customer_id"),
    MutationType.CUSTOMER_UNMERGE.value: ("customer_id",),
    MutationType.CONVERSATION_LINK_CUSTOMER.value: ("customer_id",),
}


class CustomerActions:
    customer_dialog: QDialog | None = None  # the one open now (tests and walks find it)

    if TYPE_CHECKING:  # provided by MainWindow
        ws: Workstation
        tasks: Tasks
        customer: CustomerPane
        customer_ctx: CustomerContext | None
        open_conv: ConversationView | None
        actions_: ActionRegistry
        model: InboxModel

        def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None: ...
        def _task_failed(self, exc: Exception) -> None: ...
        def _go_to_pane(self, pane: QWidget) -> None: ...

    @property
    def _parent(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def _wire_customer(self) -> None:
        a = self.actions_
        a.bind("edit_customer", self.edit_customer)
        a.bind("merge_customer", self.merge_customer)
        a.bind("unmerge_customer", self.undo_merge)
        self.customer.edit_requested.connect(self.edit_customer)
        self.customer.merge_requested.connect(self.merge_customer)
        self.customer.unmerge_requested.connect(self.undo_merge)
        a.bind("link_conversation", self.link_conversation)
        a.bind("focus_timeline", self.focus_timeline)
        self.customer.link_conversation_requested.connect(self.link_conversation)
        self.customer.customer_shown.connect(self._load_timeline)

    def _need_customer(self) -> CustomerContext | None:
        ctx = self.customer_ctx
        if ctx is None:
            self.say(_("No conversation is open."))
        elif ctx.merged_into is not None:
            self.say(_("This profile was merged into another customer."))
            return None
        return ctx

    def _open_dialog(self, dialog: QDialog, finished: Callable[[bool], None]) -> None:
        """Show ``dialog`` window-modal; ``finished(accepted)`` once answered, the focus
        back where it was first."""
        focus = self._parent.focusWidget()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        answered: list[bool] = []

        def done(result: int) -> None:
            if answered:  # Return in a list or field and the default button: one answer
                return
            answered.append(True)
            if self.customer_dialog is dialog:
                self.customer_dialog = None
            if focus is not None:  # back where the agent was, as after any dialog
                self._parent.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
            finished(result == QDialog.DialogCode.Accepted)

        dialog.finished.connect(done)
        self.customer_dialog = dialog
        dialog.open()

    def _write(
        self, fn: Callable[[], object], done_text: str, after: Callable[[], None] | None = None
    ) -> None:
        def done(_changes: object) -> None:
            self.customer.show_refusal(None)
            if after is not None:
                after()
            self.say(done_text)

        self.tasks.write(fn, done, self._customer_failed)

    def _customer_failed(self, exc: Exception) -> None:
        text = str(exc)
        ctx = self.customer_ctx
        self.customer.show_refusal(text, frozenset({ctx.id}) if ctx else frozenset())
        self.say(text, assertive=True)

    # --- edit ----------------------------------------------------------------------------

    def edit_customer(self) -> None:
        from csdesk.ui.panels.customer_edit import CustomerEditDialog

        ctx = self._need_customer()
        if ctx is None:
            return
        dialog = CustomerEditDialog(ctx, self._parent)

        def finished(accepted: bool) -> None:
            if not accepted:
                return
            fields = dialog.changed_fields()
            if not fields:
                self.say(_("Nothing changed."))
                return
            renamed = {cid for cid, *_rest in ctx.conversations} if "name" in fields else set()
            self._write(
                lambda: self.ws.update_customer(ctx.id, fields),
                _("Customer {name} saved").format(name=str(fields.get("name", ctx.name))),
                # The list's rows of this customer say the new name (the write is done).
                lambda: self.model.refresh(renamed),
            )

        self._open_dialog(dialog, finished)

    # --- merge ---------------------------------------------------------------------------

    def merge_customer(self) -> None:
        from csdesk.ui.panels.customer_merge import CustomerChooser

        ctx = self._need_customer()
        if ctx is None:
            return
        source = ctx

        def search(query: str, done: Callable[[list[CustomerChoice]], None]) -> None:
            ws = self.ws
            self.tasks.run(lambda: ws.find_customers(query, source.id), done, self._task_failed)

        chooser = CustomerChooser(source.name, search, self._parent)

        def finished(accepted: bool) -> None:
            target = chooser.chosen() if accepted else None
            if target is None:
                return
            self.tasks.run(
                lambda: self.ws.merge_preview(source.id, target.id),
                lambda preview: self._confirm_merge(source.id, target.id, preview),
                self._task_failed,
            )

        self._open_dialog(chooser, finished)

    def _confirm_merge(self, source_id: str, target_id: str, preview: MergePreview | None) -> None:
        from csdesk.ui.panels.customer_merge import MergePreviewDialog

        if preview is None:
            self.say(_("One of these customers is no longer here."), assertive=True)
            return
        dialog = MergePreviewDialog(preview, self._parent)

        def finished(accepted: bool) -> None:
            if accepted:
                self._write(
                    lambda: self.ws.merge_customers(source_id, target_id),
                    _("Merged {source} into {target}. Undo merge is on {target}'s card.").format(
                        source=preview.source_name, target=preview.target_name
                    ),
                )

        self._open_dialog(dialog, finished)

    def undo_merge(self) -> None:
        ctx = self._need_customer()
        if ctx is None:
            return
        if not ctx.merged_here:
            self.say(_("No merge into {name} to undo.").format(name=ctx.name))
            return
        at: int | None = 0
        if len(ctx.merged_here) > 1:
            at = choose_item(
                self._parent,
                _("Undo merge"),
                _("Give back its own profile:"),
                [n for _i, n in ctx.merged_here],
                0,
                name="unmerge_dialog",
            )
        if at is None:
            return
        source_id, source_name = ctx.merged_here[at]
        self._write(
            lambda: self.ws.unmerge_customer(source_id),
            _("Merge of {name} undone").format(name=source_name),
        )

    # --- link a conversation to another customer --------------------------------------------

    def link_conversation(self) -> None:
        from csdesk.ui.panels.customer_merge import CustomerChooser

        ctx = self._need_customer()
        conv = self.open_conv
        if ctx is None or conv is None:
            return
        role = self.ws.me.role
        if not can_change_profiles(role, realm_of_role(role).value):
            self.say(_("Your role cannot change customer profiles."))
            return
        current = ctx

        def search(query: str, done: Callable[[list[CustomerChoice]], None]) -> None:
            ws = self.ws
            self.tasks.run(lambda: ws.find_customers(query, current.id), done, self._task_failed)

        subject = conv.subject or _("(no subject)")
        chooser = CustomerChooser(
            current.name,
            search,
            self._parent,
            wording=(
                _("Link this conversation to another customer"),
                _(
                    "Find the customer the conversation {subject} belongs to; it moves from "
                    "{name} to them, and both timelines show the change."
                ).format(subject=subject, name=current.name),
                _("Link conversation"),
                _("File the conversation under the highlighted customer"),
            ),
        )
        chooser.setObjectName("link_chooser")

        def finished(accepted: bool) -> None:
            target = chooser.chosen() if accepted else None
            if target is None:
                return
            cid = conv.id
            self._write(
                lambda: self.ws.link_conversation(cid, target.id),
                _("Conversation linked to {name}").format(name=target.name),
                lambda: self.model.refresh({cid}),
            )

        self._open_dialog(chooser, finished)

    # --- the timeline ------------------------------------------------------------------------

    def focus_timeline(self) -> None:
        if self.customer_ctx is None:
            self.say(_("No conversation is open."))
            return
        pane = self.customer
        self._go_to_pane(pane)  # the pane may be folded away at large text sizes
        pane.timeline.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
        n = pane.timeline.list.count()
        self.say(
            _("Timeline of {name}: {count}").format(
                name=self.customer_ctx.name, count=pane.timeline.count.text()
            )
            if n
            else _("The timeline of {name} is empty").format(name=self.customer_ctx.name)
        )

    def _load_timeline(self, customer_id: str) -> None:
        if not customer_id:
            return
        ws = self.ws

        def done(items: list[TimelineItem]) -> None:
            ctx = self.customer_ctx
            if ctx is not None and ctx.id == customer_id:
                self.customer.timeline.show_items(items)

        self.tasks.run(lambda: ws.timeline(customer_id), done, self._task_failed)

    # --- refusals --------------------------------------------------------------------------

    def customer_refused(self, rejection: Rejection) -> bool:
        """Say a refused edit, merge or undo on the card of the customer it was about (if
        shown); True when it was one of those."""
        keys = CUSTOMER_MUTATIONS.get(rejection.type)
        if keys is None:
            return False
        ctx = self.customer_ctx
        ids = frozenset(str(rejection.args.get(k)) for k in keys)
        if ctx is not None and (ctx.id in ids or any(i in ids for i, _n in ctx.merged_here)):
            self.customer.show_refusal(
                _("The server refused this change to the customer: {reason}").format(
                    reason=rejection.message
                ),
                about=ids | {ctx.id},
            )
        return True
