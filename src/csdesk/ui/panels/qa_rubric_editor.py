"""The rubric editor (supervisors and administrators): add, change, remove and reorder
criteria and their weights. Saving makes a new version of the rubric; reviews already made keep
the version they were scored on (docs/qa.md).

The criteria list reads one sentence per criterion; the fields below it edit the selected one.
Everything has an Alt mnemonic; "Move up"/"Move down" reorder. Opened with ``open()``; read
``rubric_name()`` and ``criteria()`` once it is accepted (checked by ``domain.qa``, the
server's own rules).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk.app.qa import Rubric
from csdesk.domain import qa
from csdesk.domain.qa import Criterion, Scale
from csdesk.i18n import _
from csdesk.sync.reasons import phrase_text
from csdesk.ui.a11y import announce, name
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen

__all__ = ["QaRubricEditor"]


def _scale_text(scale: Scale) -> str:
    return _("Pass or fail") if scale == Scale.PASS_FAIL else _("Points")


class QaRubricEditor(QDialog):
    """Signals: those of QDialog (``accepted``, ``finished(int)``)."""

    def __init__(self, rubric: Rubric | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qa_rubric_editor")
        self.setWindowTitle(_("Review rubric"))
        self.setAccessibleName(_("Edit the review rubric"))
        self.rubric = rubric
        self.items: list[dict[str, object]] = (
            [c.as_dict() for c in rubric.criteria] if rubric is not None else []
        )
        self._loading = False
        about = (
            _("Version {version} of this rubric. Saving makes version {next}; reviews already "
              "made keep theirs.").format(version=rubric.version, next=rubric.version + 1)
            if rubric is not None
            else _("No rubric yet: this will be the first.")
        )  # fmt: skip
        intro = PlainLabel(about, self)
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(rubric.name if rubric else _("Default rubric"), self)
        self.name_edit.setMaxLength(qa.MAX_RUBRIC_NAME)
        name(self.name_edit, _("Rubric name"))
        self.list = QListWidget(self)
        self.list.setObjectName("qa_criteria_list")
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        name(self.list, _("Criteria"), _("The selected criterion is edited below"))
        self.list.currentRowChanged.connect(self._select)
        self.crit_name = QLineEdit(self)
        self.crit_name.setMaxLength(qa.MAX_NAME)
        name(self.crit_name, _("Criterion name"))
        self.description = QPlainTextEdit(self)
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(70)
        name(self.description, _("Description"), _("What the reviewer looks for"))
        self.weight = QSpinBox(self)
        self.weight.setRange(1, qa.MAX_WEIGHT)
        name(self.weight, _("Weight"), _("How much this criterion counts, 1 to 100"))
        self.scale = QComboBox(self)
        for scale in Scale:
            self.scale.addItem(_scale_text(scale), scale.value)
        name(self.scale, _("Scale"))
        self.top = QSpinBox(self)
        self.top.setRange(1, qa.MAX_POINTS)
        name(self.top, _("Top score"), _("Points run from 0 to this"))
        self.crit_name.textEdited.connect(self._edited)
        self.weight.valueChanged.connect(self._edited)
        self.top.valueChanged.connect(self._edited)
        self.description.textChanged.connect(self._edited)
        self.scale.currentIndexChanged.connect(self._edited)
        form = QFormLayout()
        name_row = QFormLayout()
        name_label = PlainLabel(_("R&ubric name:"), self)
        name_label.setBuddy(self.name_edit)
        name_row.addRow(name_label, self.name_edit)
        for text, widget in (
            (_("Criterion na&me:"), self.crit_name),
            (_("&Description:"), self.description),
            (_("&Weight:"), self.weight),
            (_("Sc&ale:"), self.scale),
            (_("&Top score:"), self.top),
        ):
            label = PlainLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        list_label = PlainLabel(_("&Criteria:"), self)
        list_label.setBuddy(self.list)
        grid = QGridLayout()
        self.add_button = QPushButton(_("Add criterio&n"), self)
        self.remove_button = QPushButton(_("&Remove criterion"), self)
        self.up_button = QPushButton(_("Move u&p"), self)
        self.down_button = QPushButton(_("Move d&own"), self)
        for n, (button, label_text, slot) in enumerate(
            (
                (self.add_button, _("Add criterion"), self.add_criterion),
                (self.remove_button, _("Remove criterion"), self.remove_criterion),
                (self.up_button, _("Move up"), lambda: self.move_criterion(-1)),
                (self.down_button, _("Move down"), lambda: self.move_criterion(1)),
            )
        ):
            name(button, label_text)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            grid.addWidget(button, n // 2, n % 2)
        self.total = PlainLabel("", self)
        self.total.setWordWrap(True)
        self.problem = PlainLabel("", self)
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(self)
        self.save_button = QPushButton(_("&Save rubric"), self)
        name(self.save_button, _("Save rubric"), _("Saves a new version; sent when online"))
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, _("Cancel"))
        self.save_button.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(name_row)
        layout.addWidget(list_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addWidget(self.total)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._refill(0 if self.items else -1)
        resize_within_screen(self, 620, 680)
        self.list.setFocus()

    # --- the list --------------------------------------------------------------------------------

    def _sentence(self, n: int, item: dict[str, object]) -> str:
        scale = Scale(str(item.get("scale") or Scale.POINTS.value))
        how = (
            _("pass or fail")
            if scale == Scale.PASS_FAIL
            else _("0 to {top} points").format(top=item.get("max_points"))
        )
        text = _("{n}. {name}, weight {weight}, {how}.").format(
            n=n + 1, name=item.get("name") or _("(no name)"), weight=item.get("weight"), how=how
        )
        description = str(item.get("description") or "")
        return f"{text} {description}".strip()

    def _refill(self, current: int) -> None:
        self._loading = True
        self.list.clear()
        for n, item in enumerate(self.items):
            sentence = self._sentence(n, item)
            row = QListWidgetItem(sentence)
            row.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            self.list.addItem(row)
        self._loading = False
        if self.items:
            self.list.setCurrentRow(max(0, min(current, len(self.items) - 1)))
        self._select(self.list.currentRow())
        weights = sum(int(str(i.get("weight") or 0)) for i in self.items)
        self.total.setText(
            _("{n} criteria; weights add up to {total}.").format(n=len(self.items), total=weights)
        )

    def _select(self, row: int) -> None:
        if self._loading:
            return
        has = 0 <= row < len(self.items)
        for widget in (self.crit_name, self.description, self.weight, self.scale, self.top):
            widget.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < len(self.items) - 1)
        if not has:
            return
        item = self.items[row]
        self._loading = True
        self.crit_name.setText(str(item.get("name") or ""))
        self.description.setPlainText(str(item.get("description") or ""))
        self.weight.setValue(int(str(item.get("weight") or 1)))
        self.scale.setCurrentIndex(max(0, self.scale.findData(item.get("scale"))))
        self.top.setValue(int(str(item.get("max_points") or 1)))
        self.top.setEnabled(item.get("scale") != Scale.PASS_FAIL.value)
        self._loading = False

    def _edited(self, *_args: object) -> None:
        row = self.list.currentRow()
        if self._loading or not 0 <= row < len(self.items):
            return
        scale = str(self.scale.currentData())
        self.items[row] = {
            **self.items[row],
            "name": self.crit_name.text(),
            "description": self.description.toPlainText(),
            "weight": self.weight.value(),
            "scale": scale,
            "max_points": 1 if scale == Scale.PASS_FAIL.value else self.top.value(),
        }
        self.top.setEnabled(scale != Scale.PASS_FAIL.value)
        sentence = self._sentence(row, self.items[row])
        shown = self.list.item(row)
        shown.setText(sentence)
        shown.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
        weights = sum(int(str(i.get("weight") or 0)) for i in self.items)
        self.total.setText(
            _("{n} criteria; weights add up to {total}.").format(n=len(self.items), total=weights)
        )

    def _key(self) -> str:
        taken = {str(i.get("key")) for i in self.items}
        n = len(self.items) + 1
        while f"c{n}" in taken:
            n += 1
        return f"c{n}"

    def add_criterion(self) -> None:
        if len(self.items) >= qa.MAX_CRITERIA:
            self._tell(_("A rubric has at most {n} criteria.").format(n=qa.MAX_CRITERIA))
            return
        self.items.append(
            {"key": self._key(), "name": _("New criterion"), "description": "", "weight": 10,
             "scale": Scale.POINTS.value, "max_points": 4}
        )  # fmt: skip
        self._refill(len(self.items) - 1)
        announce(self, _("Criterion added; type its name."))
        self.crit_name.setFocus()
        self.crit_name.selectAll()

    def remove_criterion(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.items):
            return
        gone = self.items.pop(row)
        self._refill(row)
        announce(self, _("Removed {name}.").format(name=gone.get("name") or ""))
        self.list.setFocus()

    def move_criterion(self, step: int) -> None:
        row = self.list.currentRow()
        to = row + step
        if not (0 <= row < len(self.items) and 0 <= to < len(self.items)):
            return
        self.items[row], self.items[to] = self.items[to], self.items[row]
        self._refill(to)
        announce(
            self,
            _("{name} is now number {n}.").format(name=self.items[to].get("name"), n=to + 1),
        )
        self.list.setFocus()

    # --- saving --------------------------------------------------------------------------------

    def rubric_name(self) -> str:
        return self.name_edit.text().strip()

    def criteria(self) -> list[Criterion]:
        return qa.criteria_from(self.items)

    def _tell(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        announce(self, text, assertive=True)

    def _save(self) -> None:
        if not self.rubric_name():
            self._tell(_("The rubric needs a name."))
            self.name_edit.setFocus()
            return
        try:
            self.criteria()
        except qa.RubricError as exc:
            self._tell(phrase_text(exc.phrase))
            return
        self.accept()
