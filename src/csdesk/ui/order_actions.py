"""The agent's actions on the open customer's orders, for ``MainWindow`` (a mixin like
``CustomerActions``): refund (F8), return or exchange (Shift+F8), cancel / resend / change the
address / add a note (F9), goodwill points or credit (F7), and for a supervisor the refunds
waiting for approval (Shift+F9).

Each is an outbox mutation on the window's serial writer: shown on the order at once (offline
too, "waiting to be sent"), pushed when possible; the server's answer (done, awaiting
approval, being sent to the store, declined, refused with the reason) replaces it and is
announced. A supervisor hears when a refund starts waiting for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QWidget

from csdesk.domain.enums import Role
from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, MutationType

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from csdesk.app.order_actions import ApprovalRequest, OrderChoice
    from csdesk.app.thread import CustomerContext
    from csdesk.app.workstation import Workstation
    from csdesk.sync.events import ChangeSet, Rejection
    from csdesk.ui.actions import ActionRegistry
    from csdesk.ui.panels.approvals import ApprovalsDialog
    from csdesk.ui.panels.customer import CustomerPane
    from csdesk.ui.tasks import Tasks

K = OrderActionKind
ORDER_MUTATIONS = frozenset(
    {
        MutationType.ORDER_ACT.value,
        MutationType.ORDER_ACTION_DECIDE.value,
        MutationType.CUSTOMER_GOODWILL.value,
    }
)
#: States after which nothing more happens to an action.
FINAL = frozenset(
    {
        OrderActionStatus.DONE.value,
        OrderActionStatus.REFUSED.value,
        OrderActionStatus.DECLINED.value,
    }
)
DECIDERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


class OrderActions:
    approvals_dialog: ApprovalsDialog | None = None
    _watched: dict[str, str]  # this desk's actions not yet final: id -> last state heard
    _known_pending: set[str] | None = None  # a supervisor's waiting refunds, last heard

    if TYPE_CHECKING:  # provided by MainWindow / CustomerActions
        ws: Workstation
        tasks: Tasks
        customer: CustomerPane
        customer_ctx: CustomerContext | None
        actions_: ActionRegistry

        def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None: ...
        def show_notice(self, text: str) -> None: ...
        def _task_failed(self, exc: Exception) -> None: ...
        def _need_customer(self) -> CustomerContext | None: ...
        def _customer_failed(self, exc: Exception) -> None: ...
        def _open_dialog(self, dialog: QDialog, finished: Callable[[bool], None]) -> None: ...

    @property
    def _window(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def _wire_orders(self) -> None:
        self._watched = {}
        a = self.actions_
        a.bind("refund_order", self.refund_order)
        a.bind("return_order", self.return_order)
        a.bind("order_actions", self.other_order_action)
        a.bind("goodwill", self.grant_goodwill)
        a.bind("approvals", self.show_approvals)
        handlers = {
            "refund_order": self.refund_order,
            "return_order": self.return_order,
            "order_actions": self.other_order_action,
            "goodwill": self.grant_goodwill,
        }
        for button in self.customer.card.order_buttons:  # the card's buttons, the same actions
            button.clicked.connect(handlers[button.objectName()])
        if self.ws.me.role in DECIDERS:
            self.tasks.run(self.ws.pending_approvals, self._pending_heard)

    # --- the dialogs --------------------------------------------------------------------------

    def refund_order(self) -> None:
        self._order_act([K.REFUND], _("Refund"))

    def return_order(self) -> None:
        self._order_act([K.RETURN, K.EXCHANGE], _("Return or exchange"))

    def other_order_action(self) -> None:
        self._order_act([K.CANCEL, K.RESEND, K.ADDRESS, K.NOTE], _("Order actions"))

    def _order_act(self, kinds: Sequence[OrderActionKind], title: str) -> None:
        ctx = self._need_customer()
        if ctx is None:
            return
        customer_id, customer_name = ctx.id, ctx.name
        self.tasks.run(
            lambda: self.ws.customer_orders(customer_id),
            lambda orders: self._open_order_dialog(customer_name, orders, kinds, title),
            self._task_failed,
        )

    def _open_order_dialog(
        self,
        customer_name: str,
        orders: list[OrderChoice],
        kinds: Sequence[OrderActionKind],
        title: str,
    ) -> None:
        from csdesk.ui.panels.order_action_dialog import OrderActionDialog

        if not orders:
            self.say(_("{name} has no orders.").format(name=customer_name))
            return
        dialog = OrderActionDialog(customer_name, orders, kinds, self._window, title=title)
        numbers = {o.id: o.number for o in orders}

        def finished(accepted: bool) -> None:
            request = dialog.request() if accepted else None
            if request is None:
                return
            order_id, kind, args = request
            what = _("{action} on order {number}").format(
                action=dialog.kind_box.itemText(dialog.kinds.index(kind)),
                number=numbers.get(order_id, ""),
            )

            def done(result: tuple[str, ChangeSet]) -> None:
                self._watched[result[0]] = OrderActionStatus.QUEUED.value
                self.customer.show_refusal(None)
                self.say(_("{what}: sent").format(what=what))

            self.tasks.write(
                lambda: self.ws.act_on_order(order_id, kind.value, **args),
                done,
                self._customer_failed,
            )

        self._open_dialog(dialog, finished)

    def grant_goodwill(self) -> None:
        from csdesk.ui.panels.goodwill_dialog import GoodwillDialog

        ctx = self._need_customer()
        if ctx is None:
            return
        dialog = GoodwillDialog(ctx.name, ctx.loyalty_points, self._window)
        customer_id, customer_name = ctx.id, ctx.name

        def finished(accepted: bool) -> None:
            grant = dialog.grant() if accepted else None
            if grant is None:
                return
            points, credit, reason = grant

            def done(_changes: object) -> None:
                self.customer.show_refusal(None)
                self.say(_("Goodwill for {name}: sent").format(name=customer_name))

            self.tasks.write(
                lambda: self.ws.grant_goodwill(customer_id, points, credit, reason),
                done,
                self._customer_failed,
            )

        self._open_dialog(dialog, finished)

    # --- a supervisor's approvals ----------------------------------------------------------

    def show_approvals(self) -> None:
        from csdesk.ui.panels.approvals import ApprovalsDialog

        if self.ws.me.role not in DECIDERS:
            self.say(_("Only a supervisor approves refunds."))
            return
        if self.approvals_dialog is not None:
            self.approvals_dialog.raise_()
            self.approvals_dialog.list.setFocus()
            return
        dialog = ApprovalsDialog(self._window)
        dialog.decided.connect(self._decide)
        self.approvals_dialog = dialog

        def finished(_accepted: bool) -> None:
            self.approvals_dialog = None

        self._open_dialog(dialog, finished)
        self.tasks.run(self.ws.pending_approvals, self._pending_heard, self._task_failed)

    def _decide(self, action_id: str, approve: bool, reason: str) -> None:
        self.tasks.write(
            lambda: self.ws.decide_refund(action_id, approve, reason),
            None,
            self._customer_failed,
        )

    def _pending_heard(self, requests: list[ApprovalRequest]) -> None:
        if self.approvals_dialog is not None:
            self.approvals_dialog.set_requests(requests)
        ids = {r.id for r in requests}
        known, self._known_pending = self._known_pending, ids
        if known is None:
            if ids:  # what was waiting when the desk opened
                self.show_notice(self._waiting_text(len(ids)))
            return
        new = [r for r in requests if r.id not in known]
        if len(new) == 1:
            self.show_notice(
                _("Waiting for your approval: {what} (Shift+F9)").format(what=new[0].sentence())
            )
        elif new:
            self.show_notice(self._waiting_text(len(ids)))

    @staticmethod
    def _waiting_text(n: int) -> str:
        return ngettext(
            "{n} refund waits for your approval (Shift+F9)",
            "{n} refunds wait for your approval (Shift+F9)",
            n,
        ).format(n=n)

    # --- news from the server -------------------------------------------------------------

    def order_changes(self, changes: ChangeSet) -> None:
        """Announce what became of this desk's actions; tell a supervisor of new requests."""
        if not (changes.everything or changes.touches(Entity.ORDER_ACTION)):
            return
        if self._watched:
            ids = list(self._watched)
            self.tasks.run(lambda: self.ws.action_states(ids), self._states_heard)
        if self.ws.me.role in DECIDERS:
            self.tasks.run(self.ws.pending_approvals, self._pending_heard)

    def _states_heard(self, states: dict[str, tuple[str, str]]) -> None:
        for action_id, (status, sentence) in states.items():
            if self._watched.get(action_id) in (None, status):
                continue
            self._watched[action_id] = status
            if status == OrderActionStatus.QUEUED.value:
                continue
            if status in FINAL:
                del self._watched[action_id]
            self.show_notice(sentence)

    def order_refused(self, rejection: Rejection) -> bool:
        """Say a refused order action or goodwill grant on the customer's card; True when it
        was one of those."""
        if rejection.type not in ORDER_MUTATIONS:
            return False
        self._watched.pop(str(rejection.args.get("action_id")), None)
        ctx = self.customer_ctx
        if ctx is not None:
            self.customer.show_refusal(
                _("The server refused this: {reason}").format(reason=rejection.message),
                about=frozenset({ctx.id}),
            )
        return True
