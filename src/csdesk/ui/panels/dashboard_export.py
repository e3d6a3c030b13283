"""Saving the dashboard's tables as CSV: a save dialog, then the file written on a worker.

The dialog is Qt's own (not the platform's), opened without a nested event loop, so it looks
and behaves the same everywhere and a test can fill it in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from csdesk.i18n import _
from csdesk.ui.a11y import name

Save = Callable[[Path], Path]


def save_dialog(parent: QWidget, suggested: str, on_path: Callable[[Path], None]) -> QFileDialog:
    """Open a "save as CSV" dialog; ``on_path`` gets the chosen path (with ``.csv``)."""
    dialog = QFileDialog(parent, _("Export as CSV"))
    dialog.setObjectName("kpi_save_dialog")
    name(dialog, _("Export as CSV"), _("Choose where to save the table"))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(_("CSV files (*.csv)"))
    dialog.setDefaultSuffix("csv")
    dialog.selectFile(suggested)

    def chosen(path: str) -> None:
        if path:
            on_path(Path(path))

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog
