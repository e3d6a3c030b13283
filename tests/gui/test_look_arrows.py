"""Spin boxes look like the other fields, and the arrows of combo and spin boxes grow with the
text (issue 13, 200 % text): before, spin boxes took the window's grey with no focus ring, and
every arrow stayed its 100 % size (a tiny target) at 200 %."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, QTime
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionSpinBox,
    QTimeEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from csdesk.theme.themes import THEMES, get_theme
from csdesk.ui.appearance import apply_theme

CC, SC = QStyle.ComplexControl, QStyle.SubControl


@pytest.fixture
def app() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()
    yield app
    app.setStyleSheet(sheet)
    app.setFont(font)


def _colours(widget: QWidget, area: QRect) -> set[str]:
    image = widget.grab().toImage()
    return {
        image.pixelColor(x, y).name()
        for x in range(max(0, area.left()), min(image.width(), area.right() + 1))
        for y in range(max(0, area.top()), min(image.height(), area.bottom() + 1))
    }


def _form(qtbot: QtBot) -> tuple[QWidget, QLineEdit, QComboBox, QSpinBox]:
    host = QWidget()
    form = QFormLayout(host)
    line, combo, spin = QLineEdit("Jane Doe"), QComboBox(), QSpinBox()
    combo.addItems(["Not applicable", "4 of 4 points"])
    spin.setRange(0, 400)
    spin.setValue(180)
    form.addRow("Name:", line)
    form.addRow("Score:", combo)
    form.addRow("Rate:", spin)
    form.addRow("Ratio:", QDoubleSpinBox())
    form.addRow("At:", QTimeEdit(QTime(9, 30)))
    qtbot.addWidget(host)
    host.resize(600, 300)
    host.show()
    qtbot.waitExposed(host)
    return host, line, combo, spin


def _drop_down(combo: QComboBox) -> QRect:
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    return combo.style().subControlRect(CC.CC_ComboBox, opt, SC.SC_ComboBoxArrow, combo)


def _up(spin: QSpinBox) -> QRect:
    opt = QStyleOptionSpinBox()
    spin.initStyleOption(opt)
    return spin.style().subControlRect(CC.CC_SpinBox, opt, SC.SC_SpinBoxUp, spin)


def test_the_arrows_buttons_grow_with_the_text(qtbot: QtBot, app: QApplication) -> None:
    widths = {}
    for scale in (1.0, 2.0):
        apply_theme(app, get_theme("light"), scale)
        _host, _line, combo, spin = _form(qtbot)
        line = combo.fontMetrics().height()
        drop, up = _drop_down(combo), _up(spin)
        # At least a line of text wide: a target that grows with the text.
        assert drop.width() >= line and up.width() >= line, (scale, drop, up, line)
        widths[scale] = (drop.width(), up.width())
    assert widths[2.0][0] >= 2 * widths[1.0][0] - 2, widths
    assert widths[2.0][1] >= 2 * widths[1.0][1] - 2, widths


@pytest.mark.parametrize("name", list(THEMES))
def test_spin_boxes_look_like_line_edits_with_arrows_in_the_text_colour(
    qtbot: QtBot, app: QApplication, name: str
) -> None:
    theme = get_theme(name)
    apply_theme(app, theme, 2.0)
    _host, line, combo, spin = _form(qtbot)
    # The field's own colours (before: the window's grey, reading as disabled).
    inner = QRect(4, 4, 20, spin.height() - 8)
    assert theme.control_bg in _colours(spin, inner)
    assert theme.control_bg in _colours(line, inner)
    assert theme.control_border in _colours(spin, QRect(0, 0, spin.width(), 2))
    # The arrows are drawn in the theme's text colour, so they keep its contrast.
    assert theme.text in _colours(spin, _up(spin)), name
    assert theme.text in _colours(combo, _drop_down(combo)), name
    # The focus ring, as on every other field.
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2_000)
    assert theme.focus_ring in _colours(spin, QRect(0, 0, spin.width(), 3))


def test_a_disabled_spin_box_draws_its_arrows_in_the_disabled_colour(
    qtbot: QtBot, app: QApplication
) -> None:
    theme = get_theme("light")
    apply_theme(app, theme, 2.0)
    _host, _line, _combo, spin = _form(qtbot)
    spin.setEnabled(False)
    colours = _colours(spin, _up(spin))
    assert theme.text_disabled in colours and theme.text not in colours


def test_a_date_box_with_a_calendar_gets_the_same_drop_down(
    qtbot: QtBot, app: QApplication
) -> None:
    theme = get_theme("high_contrast_dark")
    apply_theme(app, theme, 2.0)
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    qtbot.addWidget(edit)
    edit.resize(400, edit.sizeHint().height())
    edit.show()
    qtbot.waitExposed(edit)
    line = edit.fontMetrics().height()
    right = QRect(edit.width() - line, 0, line, edit.height())
    assert theme.text in _colours(edit, right)


def test_the_kpi_tables_row_names_are_shown_whole_at_200_percent(
    qtbot: QtBot, app: QApplication
) -> None:
    """The rows were as high as at 100 % while the row names' header grew with the text."""
    from csdesk.ui.panels.dashboard_tables import Cell, WordTableView, table_of

    apply_theme(app, get_theme("light"), 2.0)
    view = WordTableView("kpi_table", "Figures", "One row per agent")
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    view.show_data(
        table_of(
            ["Agent", "Contacts"],
            [[Cell("Ann Agent"), Cell("4", number=True)], [Cell("Total", strong=True), Cell("4")]],
            row_header=True,
        )
    )
    header = view.verticalHeader()
    for row in range(2):
        assert view.rowHeight(row) >= header.sectionSizeHint(row), row
        assert view.rowHeight(row) > view.fontMetrics().height(), row
