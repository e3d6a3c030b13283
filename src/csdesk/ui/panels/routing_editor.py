"""The routing rules editor (Ctrl+Alt+E, supervisors and administrators): the rules in order,
one sentence each; the chosen rule's conditions and actions in a form; move up or down
(Alt+Up, Alt+Down), enable, delete, dry run; and a second tab for agents' languages and
channels. Keyboard-first, every field labelled, plain text only; sized for 1366×768.

The dialog edits nothing itself: it emits what the person asked for and the window's
``RoutingDeskUi`` writes it through the outbox, then hands the new rows back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.routing import AgentRow, RuleRow, summary
from csdesk.domain.enums import Priority
from csdesk.i18n import _
from csdesk.ui.plain_text import PlainLabel, form_row
from csdesk.ui.screen_fit import resize_within_screen

_ID = Qt.ItemDataRole.UserRole


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _cents(text: str) -> int | None:
    raw = text.strip().replace(",", ".")
    if not raw:
        return None
    try:
        return max(0, round(float(raw) * 100))
    except ValueError:
        return None


def _line(name: str, tip: str) -> QLineEdit:
    w = QLineEdit()
    w.setAccessibleName(name)
    w.setAccessibleDescription(tip)
    w.setPlaceholderText(tip)
    return w


class RoutingEditor(QDialog):
    """Signals: ``save_requested(object)`` — a rule's fields (dict) to save;
    ``move_requested(str, str)`` — rule id, "up" or "down"; ``delete_requested(str)``;
    ``dry_run_requested(object)`` — conditions (dict) to test; ``skills_requested(str,
    object, object)`` — user id, languages, channels."""

    save_requested = Signal(object)
    move_requested = Signal(str, str)
    delete_requested = Signal(str)
    dry_run_requested = Signal(object)
    skills_requested = Signal(str, object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Routing rules"))
        self.setObjectName("routing_editor")
        self.setAccessibleName(_("Routing rules"))
        resize_within_screen(self, 1000, 640)
        self._rules: list[RuleRow] = []
        self._teams: dict[str, str] = {}
        self._agents: list[AgentRow] = []
        self._editing: str | None = None
        tabs = QTabWidget()
        tabs.setAccessibleName(_("Routing rules and agent skills"))
        tabs.addTab(self._rules_tab(), _("&Rules"))
        tabs.addTab(self._skills_tab(), _("Agent s&kills"))
        self.tabs = tabs
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(close)

    # --- the rules tab ---------------------------------------------------------------------

    def _rules_tab(self) -> QWidget:
        page = QWidget()
        self.rule_list = QListWidget()
        self.rule_list.setObjectName("routing_rule_list")
        self.rule_list.setAccessibleName(_("Rules, in the order they are evaluated"))
        self.rule_list.setAccessibleDescription(
            _("Alt+Up and Alt+Down move the chosen rule; Delete removes it")
        )
        self.rule_list.setWordWrap(True)
        self.rule_list.currentItemChanged.connect(lambda *_a: self._load_current())
        self.rule_list.installEventFilter(self)
        left = QVBoxLayout()
        heading = PlainLabel(_("Rules in &order (the matching ones act, first to last)"))
        heading.setBuddy(self.rule_list)
        left.addWidget(heading)
        left.addWidget(self.rule_list, 1)
        row = QHBoxLayout()
        for text, name, slot in (
            (_("&New rule"), "routing_new", self._new),
            (_("Move &up"), "routing_up", lambda: self._move("up")),
            (_("Move do&wn"), "routing_down", lambda: self._move("down")),
            (_("Delete rule"), "routing_delete", self._delete),
        ):
            b = QPushButton(text)
            b.setObjectName(name)
            b.setAutoDefault(False)
            b.clicked.connect(slot)
            row.addWidget(b)
        left.addLayout(row)

        form = QFormLayout()
        self.name = _line(_("Rule name"), _("What the rule is for"))
        self.enabled = QCheckBox(_("&Enabled"))
        self.enabled.setChecked(True)
        self.stop = QCheckBox(_("S&top after this rule when it matches"))
        self.channels = _line(_("Channels"), _("email, chat, sms, whatsapp… (empty: any)"))
        self.languages = _line(_("Languages"), _("de, fr, pt-br… (empty: any)"))
        self.keywords = _line(_("Keywords"), _("refund, money back… in subject or message"))
        self.tiers = _line(_("Customer tiers"), _("bronze, silver, gold, platinum"))
        self.tags = _line(_("Customer tags"), _("vip, press… (any of them)"))
        self.min_order = _line(_("Largest order at least"), _("amount, e.g. 250.00"))
        self.hours_from = _line(_("Hours from"), _("HH:MM (empty: any time)"))
        self.hours_to = _line(_("Hours to"), _("HH:MM; before From spans midnight"))
        self.hours_zone = _line(_("Time zone"), _("Europe/Berlin (empty: UTC)"))
        self.team = QComboBox()
        self.team.setAccessibleName(_("Put in team"))
        self.assign = QComboBox()
        self.assign.setAccessibleName(_("Assign an agent"))
        for label, value in (
            (_("Do not assign"), ""),
            (_("By turns (round robin)"), "round_robin"),
            (_("To the least busy"), "least_load"),
        ):
            self.assign.addItem(label, value)
        self.priority = QComboBox()
        self.priority.setAccessibleName(_("Set priority"))
        self.priority.addItem(_("Keep"), "")
        for p in Priority:
            self.priority.addItem(p.value, p.value)
        self.add_tags = _line(_("Add tags"), _("tags to add to the conversation"))
        self.escalate = QCheckBox(_("Send to the escalation &queue"))
        self.auto_reply = QPlainTextEdit()
        self.auto_reply.setAccessibleName(_("Automatic reply"))
        self.auto_reply.setTabChangesFocus(True)
        self.auto_reply.setMaximumHeight(70)
        for label, w in (
            (_("N&ame:"), self.name),
            ("", self.enabled),
            ("", self.stop),
            (_("&Channels:"), self.channels),
            (_("&Languages:"), self.languages),
            (_("Ke&ywords:"), self.keywords),
            (_("Customer t&iers:"), self.tiers),
            (_("Custo&mer tags:"), self.tags),
            (_("Largest order &value at least:"), self.min_order),
            (_("Hours &from:"), self.hours_from),
            (_("Hours to:"), self.hours_to),
            (_("Time &zone:"), self.hours_zone),
            (_("T&hen put in team:"), self.team),
            (_("Assign an agent:"), self.assign),
            (_("Set &priority:"), self.priority),
            (_("Add ta&gs:"), self.add_tags),
            ("", self.escalate),
            (_("Automatic reply (once):"), self.auto_reply),
        ):
            if label:
                form.addRow(label, w)
            else:
                form.addRow(w)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("&Save rule"))
        self.save_button.setObjectName("routing_save")
        self.save_button.clicked.connect(self._save)
        self.dry_button = QPushButton(_("&Dry run"))
        self.dry_button.setObjectName("routing_dry_run")
        self.dry_button.setAccessibleDescription(
            _("How many of the last 500 conversations these conditions would have matched")
        )
        self.dry_button.clicked.connect(lambda: self.dry_run_requested.emit(self.conditions()))
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.dry_button)
        self.result_label = PlainLabel("")
        self.result_label.setObjectName("routing_result")
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName(_("Result"))
        inner = QWidget()
        right = QVBoxLayout(inner)
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(form)
        right.addLayout(buttons)
        right.addWidget(self.result_label)
        right.addStretch(1)
        # Eighteen rows are taller than a 1366x768 screen with large text: the rule's fields
        # scroll (Tab scrolls the focused one into view); the list beside them stays put.
        scroll = QScrollArea()
        scroll.setObjectName("routing_rule_scroll")
        scroll.setAccessibleName(_("Rule"))
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        outer = QHBoxLayout(page)
        outer.addLayout(left, 1)
        outer.addWidget(scroll, 1)
        return page

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Alt+Up / Alt+Down move the chosen rule, Delete removes it (keys of the list)."""
        if watched is self.rule_list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            alt = event.modifiers() == Qt.KeyboardModifier.AltModifier
            if alt and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._move("up" if event.key() == Qt.Key.Key_Up else "down")
                return True
            if event.key() == Qt.Key.Key_Delete and not event.modifiers():
                self._delete()
                return True
        return super().eventFilter(watched, event)

    def set_rules(self, rules: list[RuleRow], teams: dict[str, str]) -> None:
        keep = self._editing
        self._rules, self._teams = rules, teams
        current = self.team.currentData()
        self.team.clear()
        self.team.addItem(_("Keep"), "")
        for tid, name in teams.items():
            self.team.addItem(name, tid)
        if current:
            self.team.setCurrentIndex(max(0, self.team.findData(current)))
        self.rule_list.blockSignals(True)
        self.rule_list.clear()
        for r in rules:
            item = QListWidgetItem(summary(r, teams))
            item.setData(_ID, r.id)
            self.rule_list.addItem(item)
            if r.id == keep:
                self.rule_list.setCurrentItem(item)
        self.rule_list.blockSignals(False)
        if keep is None and rules and self.rule_list.currentItem() is None:
            self.rule_list.setCurrentRow(0)
            self._load_current()

    def current_id(self) -> str | None:
        item = self.rule_list.currentItem()
        return str(item.data(_ID)) if item is not None else None

    def _rule(self, rid: str | None) -> RuleRow | None:
        return next((r for r in self._rules if r.id == rid), None)

    def _load_current(self) -> None:
        rule = self._rule(self.current_id())
        if rule is None:
            return
        self._editing = rule.id
        c, a = rule.conditions, rule.actions
        self.name.setText(rule.name)
        self.enabled.setChecked(rule.enabled)
        self.stop.setChecked(rule.stop)
        self.channels.setText(", ".join(c.get("channels") or []))
        self.languages.setText(", ".join(c.get("languages") or []))
        self.keywords.setText(", ".join(c.get("keywords") or []))
        self.tiers.setText(", ".join(c.get("tiers") or []))
        self.tags.setText(", ".join(c.get("tags") or []))
        cents = c.get("min_order_cents")
        self.min_order.setText(f"{cents / 100:.2f}" if isinstance(cents, int) else "")
        raw = c.get("hours")
        hours: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.hours_from.setText(str(hours.get("start") or ""))
        self.hours_to.setText(str(hours.get("end") or ""))
        self.hours_zone.setText(str(hours.get("timezone") or ""))
        self.team.setCurrentIndex(max(0, self.team.findData(a.get("team_id") or "")))
        self.assign.setCurrentIndex(max(0, self.assign.findData(a.get("assign") or "")))
        self.priority.setCurrentIndex(max(0, self.priority.findData(a.get("priority") or "")))
        self.add_tags.setText(", ".join(a.get("add_tags") or []))
        self.escalate.setChecked(a.get("escalate") is True)
        self.auto_reply.setPlainText(str(a.get("auto_reply") or ""))
        self.result_label.setText("")

    def _new(self) -> None:
        self._editing = None
        self.rule_list.blockSignals(True)
        self.rule_list.setCurrentRow(-1)
        self.rule_list.blockSignals(False)
        for w in (
            self.name, self.channels, self.languages, self.keywords, self.tiers, self.tags,
            self.min_order, self.hours_from, self.hours_to, self.hours_zone, self.add_tags,
        ):  # fmt: skip
            w.clear()
        self.auto_reply.clear()
        self.enabled.setChecked(True)
        self.stop.setChecked(False)
        self.escalate.setChecked(False)
        for combo in (self.team, self.assign, self.priority):
            combo.setCurrentIndex(0)
        self.result_label.setText(
            _("A new rule: fill in its name, conditions and actions, then save.")
        )
        self.name.setFocus()

    def conditions(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, w in (
            ("channels", self.channels),
            ("languages", self.languages),
            ("keywords", self.keywords),
            ("tiers", self.tiers),
            ("tags", self.tags),
        ):
            values = _split(w.text())
            if values:
                out[key] = [v.lower() for v in values] if key != "keywords" else values
        cents = _cents(self.min_order.text())
        if cents is not None:
            out["min_order_cents"] = cents
        start, end = self.hours_from.text().strip(), self.hours_to.text().strip()
        if start or end:
            hours: dict[str, Any] = {"start": start, "end": end}
            if self.hours_zone.text().strip():
                hours["timezone"] = self.hours_zone.text().strip()
            out["hours"] = hours
        return out

    def rule_actions(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.team.currentData():
            out["team_id"] = self.team.currentData()
        if self.assign.currentData():
            out["assign"] = self.assign.currentData()
        if self.priority.currentData():
            out["priority"] = self.priority.currentData()
        tags = _split(self.add_tags.text())
        if tags:
            out["add_tags"] = tags
        if self.escalate.isChecked():
            out["escalate"] = True
        reply = self.auto_reply.toPlainText().strip()
        if reply:
            out["auto_reply"] = reply
        return out

    def _save(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.result_label.setText(_("A rule needs a name."))
            self.name.setFocus()
            return
        if not self.rule_actions():
            self.result_label.setText(_("A rule needs at least one action."))
            self.team.setFocus()
            return
        self.save_requested.emit(
            {
                "rule_id": self._editing,
                "name": name,
                "enabled": self.enabled.isChecked(),
                "stop": self.stop.isChecked(),
                "conditions": self.conditions(),
                "actions": self.rule_actions(),
            }
        )

    def saved(self, rule_id: str) -> None:
        self._editing = rule_id
        self.result_label.setText(_("Rule saved."))

    def _move(self, direction: str) -> None:
        rid = self.current_id()
        if rid is not None:
            self.move_requested.emit(rid, direction)

    def _delete(self) -> None:
        rid = self.current_id()
        if rid is not None:
            self._editing = None
            self.delete_requested.emit(rid)

    def show_result(self, text: str) -> None:
        self.result_label.setText(text)

    # --- the skills tab --------------------------------------------------------------------

    def _skills_tab(self) -> QWidget:
        page = QWidget()
        self.agent = QComboBox()
        self.agent.setObjectName("routing_agent")
        self.agent.setAccessibleName(_("Agent"))
        self.agent.currentIndexChanged.connect(lambda _i: self._load_agent())
        self.skill_languages = _line(_("Agent's languages"), _("en, de… (empty: any)"))
        self.skill_channels = _line(_("Agent's channels"), _("email, chat… (empty: any)"))
        save = QPushButton(_("&Save skills"))
        save.setObjectName("routing_save_skills")
        save.clicked.connect(self._save_skills)
        self.skills_result = PlainLabel("")
        self.skills_result.setTextFormat(Qt.TextFormat.PlainText)
        self.skills_result.setAccessibleName(_("Result"))
        form = QFormLayout(page)
        form_row(form, _("A&gent:"), self.agent)
        form_row(form, _("&Languages:"), self.skill_languages)
        form_row(form, _("C&hannels:"), self.skill_channels)
        form.addRow(save)
        form.addRow(self.skills_result)
        return page

    def set_agents(self, agents: list[AgentRow]) -> None:
        keep = self.agent.currentData()
        self._agents = agents
        self.agent.blockSignals(True)
        self.agent.clear()
        for a in agents:
            self.agent.addItem(a.name, a.id)
        self.agent.setCurrentIndex(max(0, self.agent.findData(keep)) if keep else 0)
        self.agent.blockSignals(False)
        self._load_agent()

    def _load_agent(self) -> None:
        a = next((x for x in self._agents if x.id == self.agent.currentData()), None)
        if a is not None:
            self.skill_languages.setText(", ".join(a.languages))
            self.skill_channels.setText(", ".join(a.channels))

    def _save_skills(self) -> None:
        uid = self.agent.currentData()
        if uid:
            self.skills_requested.emit(
                str(uid),
                [x.lower() for x in _split(self.skill_languages.text())],
                [x.lower() for x in _split(self.skill_channels.text())],
            )
            self.skills_result.setText(_("Skills saved."))
