"""What the window starts once its first inbox list is in, for ``MainWindow`` (a mixin): the
teammates' names and the call desk. Both read the cache through the ORM (its first such query
sets up every mapper, ~0.1 s) and the call dock stays hidden until a call, so the first paint
of the inbox waits for neither."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QTimer

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from csdesk.app.thread import ConversationView
    from csdesk.app.workstation import Workstation
    from csdesk.ui.call_desk import CallDesk
    from csdesk.ui.callback_desk import CallbackDesk
    from csdesk.ui.main_window import MainWindow
    from csdesk.ui.tasks import Tasks


class AfterFirstList:
    if TYPE_CHECKING:  # provided by MainWindow
        ws: Workstation
        tasks: Tasks
        list_shown: SignalInstance
        open_id: str | None
        open_conv: ConversationView | None
        _names: dict[str, str]

        def _load_conversation(self, cid: str, *, announce_it: bool = False) -> None: ...
        def _task_failed(self, exc: Exception) -> None: ...

    _rest_started = False
    _call_desk: CallDesk | None = None

    def _after_first_list(self) -> None:
        """The first list is in (or failed): start the rest once, after the list paints."""
        if not self._rest_started:
            self._rest_started = True
            QTimer.singleShot(0, cast(QObject, self), self._start_rest)

    def _list_failed(self, exc: Exception) -> None:
        self._after_first_list()
        self._task_failed(exc)

    def _start_rest(self) -> None:
        self.tasks.run(self.ws.users, self._names_loaded, self._task_failed)
        self.call_desk.refresh()
        self.callback_desk.refresh()
        self.list_shown.emit()

    _callback_desk: CallbackDesk | None = None

    @property
    def callback_desk(self) -> CallbackDesk:
        """Click-to-call and callbacks (F5, F4, Shift+F4); built with the call desk."""
        if self._callback_desk is None:
            from csdesk.ui.callback_desk import CallbackDesk

            self._callback_desk = CallbackDesk(cast("MainWindow", self))
        return self._callback_desk

    @property
    def call_desk(self) -> CallDesk:
        """Phone calls: ringing, screen pop, script, wrap-up; built after the first list, or
        when first asked for."""
        if self._call_desk is None:
            from csdesk.ui.call_desk import CallDesk

            self._call_desk = CallDesk(cast("MainWindow", self))
        return self._call_desk

    def _names_loaded(self, users: list[tuple[str, str]]) -> None:
        self._names.update(dict(users))
        if self.open_id is not None and self.open_conv is not None:
            self._load_conversation(self.open_id)  # opened before the names came: say who
