"""The macro editor (docs/macros.md, "The macro editor"): a name, who it is shared with, its
favourite key, and an ordered list of actions, each added from a menu and edited in place, with
what the macro would do on the open conversation under them. Checked before saving; each
problem names its field. Plain text everywhere.

Keys: Alt+N name, Alt+S shared with, Alt+K favourite key, Alt+A the action list (Alt+Up /
Alt+Down move the chosen action, Delete removes it), Alt+D add an action (a menu), Alt+R
remove, Alt+W what it would do, Alt+V save, Esc cancel. The action's own fields: see
``macro_action_pages``. The form scrolls when the screen is short (1366x768, large text).

No signals: ``open`` it and read ``draft()`` once it is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.macro_editing import EditorData, MacroDraft, Problem, check, kind_label
from csdesk.domain import macros as rules
from csdesk.i18n import _, ngettext
from csdesk.ui.panels.canned_editor import scope_label
from csdesk.ui.panels.macro_action_pages import (
    PAGE_KINDS,
    ActionPage,
    EnterList,
    default_action,
    make_page,
)
from csdesk.ui.plain_text import PlainLabel, form_row
from csdesk.ui.screen_fit import resize_within_screen

#: Turns the actions into what they would do on the open conversation (``app.macros.Plan.text``).
Preview = Callable[[list[dict[str, Any]]], str]


def team_scope(team_id: str) -> str:
    """The scope box's data for sharing with one team (``draft`` splits it again)."""
    return f"{rules.Scope.TEAM.value}:{team_id}"


def action_summary(action: Mapping[str, Any]) -> str:
    """One line for the action list: its kind and the gist of it."""
    kind = str(action.get("kind"))
    label = kind_label(kind)
    if kind == "reply":
        if isinstance(action.get("canned"), str):
            gist = _("canned response {shortcut}").format(shortcut=action["canned"])
        else:
            gist = " ".join(str(action.get("text") or "").split())[:60]
    elif kind == "note":
        gist = " ".join(str(action.get("text") or "").split())[:60]
    elif kind == "tags":
        parts = [f"+{t}" for t in action.get("add") or []]
        parts += [f"−{t}" for t in action.get("remove") or []]
        gist = " ".join(parts)
    elif kind == "snooze":
        hours = int(action.get("hours") or 0)
        gist = ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    elif kind == "assign":
        to = action.get("to") or "me"
        gist = (
            _("whoever applies it")
            if to == "me"
            else _("nobody")
            if to == "nobody"
            else _("a teammate")
        )
        if action.get("team_id"):
            gist = _("{whom}, and a team").format(whom=gist)
    else:
        gist = _(str(action.get(kind) or ""))
    return f"{label}: {gist}" if gist else label


class ActionList(EnterList):
    """The action list: Alt+Up / Alt+Down move the chosen action, Delete removes it (keys of
    the list itself, so they work wherever the list has the focus).

    Signals: ``move_requested(int)`` (-1 up, 1 down), ``remove_requested()``."""

    move_requested = Signal(int)
    remove_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if mods == Qt.KeyboardModifier.AltModifier and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.move_requested.emit(-1 if key == Qt.Key.Key_Up else 1)
            event.accept()
            return
        if key == Qt.Key.Key_Delete and not mods:
            self.remove_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class MacroEditor(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        data: EditorData,
        draft: MacroDraft | None = None,
        preview: Preview | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("macro_editor")
        self._data = data
        self._preview = preview
        self._id = draft.macro_id if draft else None
        editing = self._id is not None
        title = _("Edit macro") if editing else _("New macro")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._actions: list[dict[str, Any]] = [dict(a) for a in (draft.actions if draft else ())]

        # --- name, sharing, key
        self.title = QLineEdit(self)
        self.title.setObjectName("macro_title")
        self.title.setAccessibleName(_("Name"))
        self.title.setMaxLength(200)
        self.scope = QComboBox(self)
        self.scope.setObjectName("macro_scope")
        self.scope.setAccessibleName(_("Shared with"))
        self.scope.setAccessibleDescription(
            _("Agents keep their own; supervisors and administrators share with a team or all")
        )
        self.scope.addItem(scope_label(rules.Scope.PERSONAL), rules.Scope.PERSONAL.value)
        if data.may_share:
            # One entry a team (the sharer's own first), as the server takes a team_id.
            teams = sorted(data.teams, key=lambda t: t[0] != data.my_team)
            for tid, name in teams:
                self.scope.addItem(_("Team {name}").format(name=name), team_scope(tid))
            self.scope.addItem(scope_label(rules.Scope.EVERYONE), rules.Scope.EVERYONE.value)
        self.key = QComboBox(self)
        self.key.setObjectName("macro_key")
        self.key.setAccessibleName(_("Favourite key"))
        self.key.setAccessibleDescription(
            _("Ctrl+Alt and a digit opens this macro; without one, the most used get the free keys")
        )
        self.key.addItem(_("None (by use)"), 0)
        for n in range(1, rules.FAVOURITES + 1):
            owner = data.key_owner(n, self._id)
            text = f"Ctrl+Alt+{n}"
            if owner is not None:
                text = _("{key} (now {title})").format(key=text, title=owner)
            self.key.addItem(text, n)

        # --- actions
        self.list = ActionList(self)
        self.list.setObjectName("macro_actions")
        self.list.setAccessibleName(_("Actions, in the order they are done"))
        self.list.setAccessibleDescription(
            _("Alt+Up and Alt+Down move the chosen action; Delete removes it")
        )
        self.add = QPushButton(_("A&dd action…"), self)
        self.add.setObjectName("macro_add_action")
        self.add.setAccessibleName(_("Add an action"))
        self.menu = QMenu(self.add)
        self.menu.setObjectName("macro_add_menu")
        self.menu.setAccessibleName(_("Kinds of action"))
        self.menu.aboutToShow.connect(self._fill_menu)
        self.add.setMenu(self.menu)
        self.up = QPushButton(_("Move up"), self)
        self.up.setAccessibleName(_("Move the action up (Alt+Up)"))
        self.down = QPushButton(_("Move down"), self)
        self.down.setAccessibleName(_("Move the action down (Alt+Down)"))
        self.remove = QPushButton(_("&Remove"), self)
        self.remove.setObjectName("macro_remove_action")
        self.remove.setAccessibleName(_("Remove the action (Delete)"))
        for b in (self.add, self.up, self.down, self.remove):
            b.setAutoDefault(False)
        self.up.clicked.connect(lambda: self.move_action(-1))
        self.down.clicked.connect(lambda: self.move_action(1))
        self.remove.clicked.connect(self.remove_current)
        self.list.move_requested.connect(self.move_action)
        self.list.remove_requested.connect(self.remove_current)

        self.pages = QStackedWidget(self)
        self.pages.setObjectName("macro_action_pages")
        self._page_of: dict[str, ActionPage] = {}
        blank = PlainLabel(_("Add an action with Add action… (Alt+D)."), self)
        blank.setWordWrap(True)
        self.pages.addWidget(blank)
        for kind in PAGE_KINDS:
            page = make_page(kind, data.canned, data.users, data.teams, self.pages)
            page.changed.connect(self._page_changed)
            self.pages.addWidget(page)
            self._page_of[kind] = page
        self.details = QGroupBox(_("The chosen action"), self)
        self.details.setAccessibleName(_("The chosen action"))
        QVBoxLayout(self.details).addWidget(self.pages)

        # --- preview and problems
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("macro_editor_preview")
        self.preview.setReadOnly(True)
        self.preview.setTabChangesFocus(True)
        self.preview.setAccessibleName(_("What the macro would do on the open conversation"))
        self.preview.setMinimumHeight(80)
        self.problem = PlainLabel(self)
        self.problem.setObjectName("macro_problem")
        self.problem.setAccessibleName(_("Problems"))
        self.problem.setWordWrap(True)

        form = QFormLayout()
        form_row(form, _("&Name"), self.title)
        form_row(form, _("&Shared with"), self.scope)
        form_row(form, _("Favourite &key"), self.key)
        list_label = PlainLabel(_("&Actions"), self)
        list_label.setBuddy(self.list)
        left = QVBoxLayout()
        left.addWidget(list_label)
        left.addWidget(self.list, 1)
        buttons_row = QHBoxLayout()
        for b in (self.add, self.up, self.down, self.remove):
            buttons_row.addWidget(b)
        left.addLayout(buttons_row)
        middle = QHBoxLayout()
        middle.addLayout(left, 2)
        middle.addWidget(self.details, 3)
        preview_label = PlainLabel(_("What it &would do"), self)
        preview_label.setBuddy(self.preview)
        inner = QWidget(self)
        body = QVBoxLayout(inner)
        body.addLayout(form)
        body.addLayout(middle, 3)
        body.addWidget(preview_label)
        body.addWidget(self.preview, 1)
        scroll = QScrollArea(self)
        scroll.setObjectName("macro_editor_scroll")
        scroll.setAccessibleName(_("Macro"))
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save.setText(_("Sa&ve"))
        self.save.setAccessibleName(_("Save"))
        self.save.setObjectName("macro_save")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(_("Cancel"))
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        if draft is not None:
            self.title.setText(draft.title)
            data_key = (
                team_scope(draft.team_id)
                if draft.scope == rules.Scope.TEAM and draft.team_id
                else draft.scope
            )
            at = self.scope.findData(data_key)
            if at < 0:  # shown as it is, even where this desk would not offer it
                self.scope.addItem(scope_label(draft.scope), data_key)
                at = self.scope.count() - 1
            self.scope.setCurrentIndex(at)
            if editing and draft.scope != rules.Scope.PERSONAL and self.scope.count() > 1:
                # A shared one is made personal by a copy here (Duplicate): docs/macros.md.
                self.scope.removeItem(self.scope.findData(rules.Scope.PERSONAL.value))
            self.key.setCurrentIndex(max(self.key.findData(draft.favourite or 0), 0))
        self.list.currentRowChanged.connect(self._show_action)
        self.list.itemActivated.connect(lambda _i: self._edit_current())
        self._fill_list(0)
        resize_within_screen(self, 980, 700)
        self.title.setFocus()

    # --- the action list -----------------------------------------------------------------

    def _fill_list(self, current: int) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for n, act in enumerate(self._actions, start=1):
            self.list.addItem(QListWidgetItem(f"{n}. {action_summary(act)}"))
        self.list.blockSignals(False)
        if self._actions:
            self.list.setCurrentRow(min(max(current, 0), len(self._actions) - 1))
        self._show_action()
        self._update_buttons()
        self._refresh_preview()

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        self.up.setEnabled(row > 0)
        self.down.setEnabled(0 <= row < len(self._actions) - 1)
        self.remove.setEnabled(row >= 0)
        self.add.setEnabled(bool(self._free_kinds()))

    def _free_kinds(self) -> list[str]:
        used = {a.get("kind") for a in self._actions}
        free = [k for k in PAGE_KINDS if k not in used]
        if "status" in used:
            free = [k for k in free if k != "snooze"]
        if "snooze" in used:
            free = [k for k in free if k != "status"]
        return free

    def _fill_menu(self) -> None:
        self.menu.clear()
        for kind in self._free_kinds():
            act = self.menu.addAction(kind_label(kind))
            act.setObjectName(f"macro_add_{kind}")
            act.triggered.connect(lambda _c=False, k=kind: self.add_action(k))

    def add_action(self, kind: str) -> None:
        """Add an action of ``kind`` at the end and move to its first field."""
        if kind not in self._free_kinds():
            return
        self._actions.append(default_action(kind, self._data.canned))
        self._fill_list(len(self._actions) - 1)
        self._page_of[kind].first_field().setFocus()

    def move_action(self, step: int) -> None:
        row = self.list.currentRow()
        to = row + step
        if row < 0 or not 0 <= to < len(self._actions):
            return
        self._actions[row], self._actions[to] = self._actions[to], self._actions[row]
        self._fill_list(to)
        self.list.setFocus()
        self.problem.setText(
            _("Moved to place {n}: {action}").format(
                n=to + 1, action=action_summary(self._actions[to])
            )
        )

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        gone = self._actions.pop(row)
        self._fill_list(row)
        self.list.setFocus()
        self.problem.setText(_("Removed: {action}").format(action=action_summary(gone)))

    def _edit_current(self) -> None:
        """Enter on an action: to its first field."""
        page = self.pages.currentWidget()
        if isinstance(page, ActionPage):
            page.first_field().setFocus()

    def _show_action(self, *_args: object) -> None:
        row = self.list.currentRow()
        if row < 0 or row >= len(self._actions):
            self.pages.setCurrentIndex(0)
            self._update_buttons()
            return
        act = self._actions[row]
        page = self._page_of[str(act.get("kind"))]
        page.load(act)
        self.pages.setCurrentWidget(page)
        self.details.setTitle(
            _("Action {n}: {kind}").format(n=row + 1, kind=kind_label(page_kind(act)))
        )
        self._update_buttons()

    def _page_changed(self) -> None:
        row = self.list.currentRow()
        page = self.pages.currentWidget()
        if row < 0 or not isinstance(page, ActionPage):
            return
        self._actions[row] = page.value()
        item = self.list.item(row)
        if item is not None:
            item.setText(f"{row + 1}. {action_summary(self._actions[row])}")
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        if self._preview is None:
            return
        text = self._preview([dict(a) for a in self._actions])
        self.preview.setPlainText(text or _("This macro has nothing to do yet."))

    # --- saving --------------------------------------------------------------------------

    def draft(self) -> MacroDraft:
        key = int(self.key.currentData() or 0)
        scope, _colon, team = str(self.scope.currentData() or rules.Scope.PERSONAL.value).partition(
            ":"
        )
        return MacroDraft(
            title=self.title.text().strip(),
            actions=tuple(dict(a) for a in self._actions),
            scope=scope,
            macro_id=self._id,
            favourite=key or None,
            team_id=team or None,
        )

    def problems(self) -> list[Problem]:
        shortcuts = {c.shortcut for c in self._data.canned}
        return check(self.draft(), shortcuts, self._data)

    def try_save(self) -> None:
        """Save if nothing is wrong; else list every problem and go to the first one's field."""
        found = self.problems()
        if not found:
            self.accept()
            return
        self.problem.setText("\n".join(p.message for p in found))
        first = found[0]
        if first.where == "name":
            self.title.setFocus()
        elif first.where == "favourite":
            self.key.setFocus()
        elif first.where == "action" and first.index is not None:
            self.list.setCurrentRow(first.index)
            page = self.pages.currentWidget()
            if isinstance(page, ActionPage):
                page.first_field().setFocus()
        else:
            (self.add if self.add.isEnabled() else self.list).setFocus()


def page_kind(action: Mapping[str, Any]) -> str:
    return str(action.get("kind"))
