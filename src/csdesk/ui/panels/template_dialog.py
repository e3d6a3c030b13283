"""Choose an approved WhatsApp template, fill its parameters, see what the customer will read.

Outside WhatsApp's 24-hour window this is the only way to write to the customer.  The list is
loaded on the window's ``Tasks`` (the server may have to ask Meta); until it arrives the dialog
says so, and when the server cannot be reached it says that instead of showing an empty list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app import wa_templates
from csdesk.app.wa_templates import Template, TemplateList
from csdesk.domain.access import can_refresh_templates
from csdesk.domain.enums import Channel
from csdesk.domain.wa_template import parameter_refused
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce
from csdesk.ui.plain_text import PlainLabel, plain_tip
from csdesk.ui.tasks import Tasks

if TYPE_CHECKING:
    from csdesk.ui.desk_host import DeskWindow

Loader = Callable[[bool], TemplateList]


def describe(t: Template) -> str:
    """One line per template: what an agent (and a screen reader) needs to choose."""
    preview = " ".join(t.body.split())
    if len(preview) > 90:
        preview = preview[:89] + "…"
    category = t.category.lower() or _("no category")
    return _("{name} ({language}, {category}): {preview}").format(
        name=t.name, language=t.language, category=category, preview=preview
    )


class TemplateDialog(QDialog):
    """Signals: ``chosen(object template, list parameters)`` when the agent sends one."""

    chosen = Signal(object, list)

    def __init__(self, tasks: Tasks, load: Loader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("template_dialog")
        self.setWindowTitle(_("Send a WhatsApp template"))
        self._tasks, self._load = tasks, load
        self._templates: list[Template] = []
        self._fields: list[QLineEdit] = []
        self.loading = False

        self.status = PlainLabel(self)
        self.status.setObjectName("template_status")
        self.status.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("template_list")
        self.list.setAccessibleName(_("Approved templates"))
        self.list.setAccessibleDescription(
            _("Up and Down choose a template; Tab moves to its parameters")
        )
        self.params = QWidget(self)
        self.params.setObjectName("template_parameters")
        self.form = QFormLayout(self.params)
        self.form.setContentsMargins(0, 0, 0, 0)
        preview_label = PlainLabel(_("What the customer &will read:"), self)
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("template_preview")
        self.preview.setReadOnly(True)
        self.preview.setTabChangesFocus(True)
        self.preview.setAccessibleName(_("Preview of the message"))
        preview_label.setBuddy(self.preview)
        self.problem = PlainLabel(self)
        self.problem.setObjectName("template_problem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        buttons = QDialogButtonBox(self)
        self.send = buttons.addButton(_("&Send template"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.setObjectName("template_send")
        self.send.setAccessibleName(_("Send template"))
        self.send.setDefault(True)
        self.refresh = QPushButton(_("&Refresh list"), self)
        self.refresh.setObjectName("template_refresh")
        self.refresh.setAccessibleName(_("Refresh the template list"))
        self.refresh.setAccessibleDescription(_("Ask the server to fetch the templates again"))
        buttons.addButton(self.refresh, QDialogButtonBox.ButtonRole.ActionRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(_("Cancel"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self.refresh.clicked.connect(lambda: self.reload(refresh=True))

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.params)
        layout.addWidget(preview_label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._select)
        self.list.activated.connect(lambda _index: self._to_parameters())
        self.resize(640, 560)
        self._show_templates()

    # --- loading -------------------------------------------------------------------------

    def reload(self, *, refresh: bool = False) -> None:
        """Fetch the list on a worker; the dialog stays usable (Cancel) meanwhile."""
        if self.loading:
            return
        self.loading = True
        self._say(_("Loading the approved templates…"))
        self.send.setEnabled(False)
        self.refresh.setEnabled(False)
        load = self._load
        self._tasks.run(lambda: load(refresh), self._loaded, self._failed)

    def _loaded(self, result: TemplateList) -> None:
        self.loading = False
        self.refresh.setEnabled(True)
        self._templates = list(result.templates)
        self._show_templates()
        if not self._templates:
            self._say(_("This WhatsApp account has no approved templates csdesk can send."))
        elif result.problem:
            self._say(
                _("Showing the list from earlier; it could not be refreshed: {why}").format(
                    why=result.problem
                )
            )
        else:
            self._say(
                ngettext(
                    "{n} approved template. Choose it, then fill in its parameters.",
                    "{n} approved templates. Choose one, then fill in its parameters.",
                    len(self._templates),
                ).format(n=len(self._templates))
            )
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _failed(self, exc: Exception) -> None:
        self.loading = False
        self.refresh.setEnabled(True)
        self._say(
            _(
                "The templates could not be loaded: {why}. "
                "Try Refresh list when the server is reachable."
            ).format(why=str(exc).rstrip("."))
        )
        self.refresh.setFocus(Qt.FocusReason.OtherFocusReason)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        announce(self, text)

    def _show_templates(self) -> None:
        self.list.clear()
        for t in self._templates:
            item = QListWidgetItem(describe(t))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, describe(t))
            item.setToolTip(plain_tip(t.render([])))
            self.list.addItem(item)
        if self._templates:
            self.list.setCurrentRow(0)
        else:
            self._select(-1)

    # --- choosing and filling ------------------------------------------------------------

    def current(self) -> Template | None:
        row = self.list.currentRow()
        return self._templates[row] if 0 <= row < len(self._templates) else None

    def parameters(self) -> list[str]:
        return [f.text() for f in self._fields]

    def _select(self, _row: int) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields = []
        t = self.current()
        self.send.setEnabled(t is not None)
        self.problem.hide()
        if t is None:
            self.preview.setPlainText("")
            return
        for n in range(t.parameter_count):
            example = t.example(n)
            field = QLineEdit(self.params)
            field.setObjectName(f"template_param_{n + 1}")
            if example:
                text = _("Parameter {{{{{n}}}}} (for example {example}):").format(
                    n=n + 1, example=example
                )
                field.setPlaceholderText(example)
            else:
                text = _("Parameter {{{{{n}}}}}:").format(n=n + 1)
            field.setAccessibleName(text.rstrip(":"))
            field.textChanged.connect(self._update_preview)
            label = PlainLabel(text, self.params)
            label.setBuddy(field)
            self.form.addRow(label, field)
            label.show()  # now, not at the layout's queued show: Enter may focus it at once
            field.show()
            self._fields.append(field)
        self._update_preview()

    def _update_preview(self) -> None:
        t = self.current()
        if t is None:
            return
        values = [f.text().strip() for f in self._fields]
        shown = [v or f"{{{{{n + 1}}}}}" for n, v in enumerate(values)]
        self.preview.setPlainText(t.render(shown))
        if all(values):
            self.problem.hide()

    def _submit(self) -> None:
        t = self.current()
        if t is None or self.loading:
            return
        for n, field in enumerate(self._fields):
            value = field.text().strip()
            if not value or parameter_refused(value):
                text = (
                    _("Fill in parameter {n} before sending.")
                    if not value
                    else _(
                        "Parameter {n} may not contain tabs, line breaks or more than four "
                        "spaces in a row (WhatsApp refuses them)."
                    )
                )
                self.problem.setText(text.format(n=n + 1))
                self.problem.show()
                announce(self, self.problem.text(), assertive=True)
                field.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        self.chosen.emit(t, [f.text().strip() for f in self._fields])
        self.accept()

    def _to_parameters(self) -> None:
        """Enter (or a double click) on a template moves on to its first parameter, or to
        Send when it has none, rather than sending at once."""
        target = self._fields[0] if self._fields else self.send
        target.setFocus(Qt.FocusReason.TabFocusReason)


def open_template_dialog(window: DeskWindow) -> None:
    """ "Use template…" on the open conversation of ``window`` (the main window or a pop-out,
    ui/desk_host.py): the dialog opens at once and loads the list on the window's worker; the
    chosen template is queued like any reply."""
    conv = window.open_conv
    if conv is None:
        window.say(_("No conversation is open."))
        return
    if conv.channel != Channel.WHATSAPP.value:
        window.say(_("Templates are only for WhatsApp conversations."))
        return
    ws, cid = window.ws, conv.id
    dialog = TemplateDialog(
        window.tasks, lambda refresh: wa_templates.load(ws, refresh=refresh), window
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if not can_refresh_templates(ws.me.role):
        # Only supervisors make the server ask Meta; for others the button asks the server
        # for its stored list again (what the server answers them anyway).
        dialog.refresh.setText(_("&Load again"))
        dialog.refresh.setAccessibleName(_("Load the template list again"))
        dialog.refresh.setAccessibleDescription(_("Ask the server for its list again"))
    focus = window.focusWidget()

    def send(template: Template, parameters: list[str]) -> None:
        def done(_result: object) -> None:
            window.say(_("Template {name} queued for sending").format(name=template.name))

        window.tasks.write(
            lambda: wa_templates.send(ws, cid, template, parameters), done, window._task_failed
        )

    def closed(_result: int) -> None:
        if focus is not None:  # back where the agent was, as after any dialog
            window.activateWindow()  # the window it was opened from (a pop-out's too)
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    dialog.chosen.connect(send)
    dialog.finished.connect(closed)
    dialog.open()  # window-modal without a nested event loop
    dialog.reload()
