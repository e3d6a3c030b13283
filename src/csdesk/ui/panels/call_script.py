"""The call panel: a ringing or current call, and a thin view over a call script's ``Walk``.

Keys inside the panel: 1–9 select that choice (and say it), Enter takes the selected choice
(or goes on from a step without choices), Backspace or Alt+Left goes back a step. A number
only chooses, never moves on: "2, then Enter" is one step, as in every list, and an agent who
pressed the wrong number simply presses the right one before Enter. The step machine itself is
``domain.steps``; this widget only shows the current step (filled from the customer) and turns
keys into walk moves, like Electrum's wizard views over its Qt-free wizard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.calls import Script, position_text, step_text, steps_after
from csdesk.domain.steps import Walk
from csdesk.i18n import _
from csdesk.speech.policy import script_step_announcement
from csdesk.ui.a11y import name
from csdesk.ui.flow_layout import FlowRow
from csdesk.ui.plain_text import PlainLabel, plain_tip

__all__ = ["CallScriptPanel"]


class CallScriptPanel(QWidget):
    """Signals: ``answer_requested()``, ``wrap_up_requested()``, ``step_changed(str)`` — the
    sentence for the step now shown ("Step 2, at most 3 more: …"), for announcements and
    speech; ``choice_selected(str)`` — the choice a number key selected ("2: Not yet"), said
    so the agent knows what Enter will take."""

    answer_requested = Signal()
    wrap_up_requested = Signal()
    end_requested = Signal()  # "End demo call": a call of the demo's simulator
    step_changed = Signal(str)
    choice_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("call_script_panel")
        self.setAccessibleName(_("Call"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scripts: list[Script] = []
        self.walk: Walk | None = None
        self.values: Mapping[str, str | None] = {}
        self.call_status = PlainLabel(_("No call"), self)
        self.call_status.setObjectName("call_status")
        self.call_status.setWordWrap(True)
        self.answer = QPushButton(_("Answer call"), self)
        self.answer.setObjectName("answer_call")
        name(self.answer, _("Answer call"), _("Take the ringing call (Ctrl+Shift+L)"))
        self.answer.hide()
        self.end = QPushButton(_("End demo call"), self)
        self.end.setObjectName("end_demo_call")
        name(self.end, _("End demo call"), _("End the demo's call, then wrap it up (Shift+F5)"))
        self.end.hide()
        self.picker = QComboBox(self)
        self.picker.setObjectName("script_picker")
        name(self.picker, _("Call script"), _("Choose the script to follow"))
        self.position = PlainLabel(self)
        self.position.setObjectName("script_position")
        self.text = PlainLabel(self)
        self.text.setObjectName("script_step_text")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = PlainLabel(self)
        self.hint.setObjectName("script_hint")
        self.hint.setWordWrap(True)
        self.choices = QListWidget(self)
        self.choices.setObjectName("script_choices")
        name(
            self.choices,
            _("Choices"),
            _("Press a number to select a choice; Enter takes it; Backspace goes back"),
        )
        self.next = QPushButton(_("Next step"), self)
        self.next.setObjectName("script_next")
        name(self.next, _("Next step"), _("Go on to the next step (Enter)"))
        self.back = QPushButton(_("Previous step"), self)
        self.back.setObjectName("script_back")
        name(self.back, _("Previous step"), _("Go back a step (Backspace or Alt+Left)"))
        self.restart = QPushButton(_("Start over"), self)
        self.restart.setObjectName("script_restart")
        name(self.restart, _("Start over"), _("Go back to the script's first step"))
        self.trail = QListWidget(self)
        self.trail.setObjectName("script_trail")
        name(self.trail, _("Steps so far"), _("The steps taken in this script, in order"))
        self.trail.setMaximumHeight(110)
        self.wrap = QPushButton(_("Wrap up call…"), self)
        self.wrap.setObjectName("wrap_up_call")
        name(self.wrap, _("Wrap up call"), _("Notes and a disposition (Ctrl+Shift+W)"))

        # A row that wraps: three buttons side by side made the docked panel 628 px wide at
        # 200 % text, pushing the window past a 1600 px screen.
        buttons = FlowRow(self)
        buttons.setObjectName("script_buttons")
        for button in (self.back, self.next, self.restart):
            buttons.flow.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.call_status)
        layout.addWidget(self.answer)
        layout.addWidget(self.end)
        layout.addWidget(self.picker)
        layout.addWidget(self.position)
        layout.addWidget(self.text)
        layout.addWidget(self.hint)
        layout.addWidget(self.choices, 1)
        layout.addWidget(buttons)
        trail_label = PlainLabel(_("Steps so far"), self)
        trail_label.setBuddy(self.trail)
        layout.addWidget(trail_label)
        layout.addWidget(self.trail)
        layout.addWidget(self.wrap)

        self.answer.clicked.connect(self.answer_requested)
        self.wrap.clicked.connect(self.wrap_up_requested)
        self.end.clicked.connect(self.end_requested)
        self.picker.activated.connect(self.start)
        self.next.clicked.connect(self.go_on)
        self.back.clicked.connect(self.go_back)
        self.restart.clicked.connect(self._restart)
        self.choices.itemActivated.connect(lambda _i: self.go_on())
        for widget in (self, self.choices, self.trail, self.next, self.back, self.restart):
            widget.installEventFilter(self)
        self._render()

    # --- what is shown -------------------------------------------------------------------

    def show_status(
        self, text: str, *, ringing: bool = False, on_call: bool = False, can_end: bool = False
    ) -> None:
        """``can_end``: a call of the demo's simulator that the agent ends here."""
        self.call_status.setText(text)
        self.answer.setVisible(ringing)
        self.end.setVisible(can_end)
        self.wrap.setEnabled(on_call)

    def set_scripts(
        self, scripts: Sequence[Script], index: int, values: Mapping[str, str | None]
    ) -> None:
        """Offer ``scripts`` and start the one at ``index`` (none when -1), quietly:
        ``step_changed`` is for the agent's moves, not for opening a script."""
        self.scripts = list(scripts)
        self.values = dict(values)
        self.picker.clear()
        for script in self.scripts:
            self.picker.addItem(script.title, script.id)
        self.walk = None
        if 0 <= index < len(self.scripts):
            self.picker.setCurrentIndex(index)
            self.walk = Walk(self.scripts[index].flow)
        self._render()  # the caller announces the first step with its own context

    @property
    def script(self) -> Script | None:
        index = self.picker.currentIndex()
        return self.scripts[index] if 0 <= index < len(self.scripts) else None

    def start(self, index: int) -> None:
        if not 0 <= index < len(self.scripts):
            return
        self.walk = Walk(self.scripts[index].flow)
        self._changed()

    def sentence(self) -> str:
        """The current step as one sentence: what to say, then the choices by number."""
        walk = self.walk
        step = walk.current if walk is not None else None
        if walk is None or step is None:
            return _("End of the script. Wrap up the call when you are done.")
        after = steps_after(walk.flow, step.id)
        text = script_step_announcement(walk.position, after, step_text(step, self.values).text)
        if step.choices:
            options = "; ".join(f"{n}: {c.label}" for n, c in enumerate(step.choices, 1))
            text = f"{text} " + _("Choices: {options}.").format(options=options)
        return text

    def _render(self) -> None:
        walk = self.walk
        step = walk.current if walk is not None else None
        self.choices.clear()
        self.trail.clear()
        if walk is None:
            self.position.setText("")
            self.text.setText(_("No script is open. Choose one above (Ctrl+Shift+J)."))
            self.hint.setText("")
            for button in (self.next, self.back, self.restart):
                button.setEnabled(False)
            return
        for taken in walk.trail:
            label = walk.flow.step(taken.step_id).text
            said = step_text(walk.flow.step(taken.step_id), self.values).text
            item = QListWidgetItem(f"{said[:80]} → {taken.choice}" if taken.choice else said[:80])
            item.setToolTip(plain_tip(label))
            self.trail.addItem(item)
        if step is None:
            self.position.setText(_("Finished"))
            self.text.setText(_("End of the script. Wrap up the call when you are done."))
            self.hint.setText("")
        else:
            after = steps_after(walk.flow, step.id)
            self.position.setText(position_text(walk.position, after))
            self.text.setText(step_text(step, self.values).text)
            self.hint.setText(step.hint)
            for n, choice in enumerate(step.choices, 1):
                item = QListWidgetItem(f"{n}. {choice.label}" if n <= 9 else choice.label)
                self.choices.addItem(item)
            if step.choices:
                self.choices.setCurrentRow(0)
        self.next.setEnabled(step is not None)
        self.back.setEnabled(bool(walk.trail))
        self.restart.setEnabled(bool(walk.trail))

    def _changed(self) -> None:
        self._render()
        self.step_changed.emit(self.sentence())

    # --- moving through the script -------------------------------------------------------

    def choose(self, index: int) -> bool:
        walk = self.walk
        step = walk.current if walk is not None else None
        if walk is None or step is None or not 0 <= index < len(step.choices):
            return False
        walk.choose(index)
        self._changed()
        return True

    def select(self, index: int) -> bool:
        """A number key: select choice ``index`` (Enter then takes it); False if none."""
        step = self.walk.current if self.walk is not None else None
        if step is None or not 0 <= index < len(step.choices):
            return False
        self.choices.setCurrentRow(index)
        self.choice_selected.emit(f"{index + 1}: {step.choices[index].label}")
        return True

    def go_on(self) -> None:
        """Enter: take the selected choice, or go on from a step without choices."""
        walk = self.walk
        step = walk.current if walk is not None else None
        if walk is None or step is None:
            return
        if step.choices:
            self.choose(max(0, self.choices.currentRow()))
        else:
            walk.advance()
            self._changed()

    def go_back(self) -> None:
        if self.walk is not None and self.walk.back():
            self._changed()

    def _restart(self) -> None:
        if self.walk is not None:
            self.walk.restart()
            self._changed()

    def focus_step(self) -> None:
        """Where the agent works a script: the choices (or Next when the step has none)."""
        step = self.walk.current if self.walk is not None else None
        target: QWidget = self.picker
        if step is not None:
            target = self.choices if step.choices else self.next
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(obj, event)
        return super().eventFilter(obj, event)

    def _key(self, obj: QObject, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        plain = mods & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
        if plain and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            return self.select(key - Qt.Key.Key_1) or True
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if obj is self.back or obj is self.restart:
                (self.go_back if obj is self.back else self._restart)()
                return True
            self.go_on()
            return True
        back = (plain and key == Qt.Key.Key_Backspace) or (
            mods == Qt.KeyboardModifier.AltModifier and key == Qt.Key.Key_Left
        )
        if back:
            self.go_back()
            return True
        return False
