"""The files attached to the reply being written: one line each with a remove button.

The strip only lists; the composer decides what may be attached (the channel's limits) and
the window reads the files' sizes on a worker (``read_files``) before they reach it.  A screen
reader hears the count after every change ("2 files attached") without the focus moving; a
removed file's button hands the focus to its neighbour, so a keyboard user can clear several
in a row.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from csdesk.domain.attachment_limits import FileInfo, human_size
from csdesk.i18n import _, ngettext
from csdesk.ui.a11y import announce
from csdesk.ui.plain_text import PlainLabel, plain_tip


@dataclass(frozen=True, slots=True)
class AttachedFile:
    path: Path
    size: int
    content_type: str

    @property
    def name(self) -> str:
        return self.path.name

    def info(self) -> FileInfo:
        return FileInfo(self.name, self.size, self.content_type)


def read_files(paths: Sequence[Path]) -> list[AttachedFile]:
    """Disk (run on a worker): each file's size and type. Raises OSError for a file that
    cannot be read, with its name in the message."""
    out: list[AttachedFile] = []
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise OSError(
                _("{name} cannot be read: {error}").format(
                    name=path.name, error=exc.strerror or exc
                )
            ) from exc
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        out.append(AttachedFile(path, size, ctype))
    return out


def count_text(n: int) -> str:
    if n == 0:
        return _("No files attached")
    return ngettext("{n} file attached", "{n} files attached", n).format(n=n)


class AttachmentsStrip(QWidget):
    """Signals: ``changed()`` after a file was added or removed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer_attachments")
        self.setAccessibleName(_("Attached files"))
        self._files: list[AttachedFile] = []
        self._rows: list[QWidget] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.problem = PlainLabel(self)
        self.problem.setObjectName("composer_attachment_problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self._layout.addWidget(self.problem)
        self.hide()

    # --- what the composer asks ---------------------------------------------------------

    def files(self) -> list[AttachedFile]:
        return list(self._files)

    def add(self, files: Sequence[AttachedFile], *, say: bool = True) -> None:
        """Add ``files``; ``say=False`` when they come back with a draft (opening a
        conversation is not the agent attaching anything: the strip shows them, unannounced)."""
        known = {f.path for f in self._files}
        fresh = [f for f in files if f.path not in known]
        if not fresh:
            return
        self._files += fresh
        self._rebuild()
        if say:
            self._changed()
        else:
            self.changed.emit()

    def remove(self, index: int) -> None:
        if not 0 <= index < len(self._files):
            return
        del self._files[index]
        self._rebuild()
        if self._rows:
            button = self._rows[min(index, len(self._rows) - 1)].findChild(QToolButton)
            if button is not None:
                button.setFocus(Qt.FocusReason.OtherFocusReason)
        self._changed()

    def clear(self) -> None:
        self.set_problem(None)
        if not self._files:
            return
        self._files = []
        self._rebuild()
        self.changed.emit()

    def set_problem(self, text: str | None) -> None:
        """Show why a file cannot go (or, with None, nothing); spoken once when it appears."""
        if (text or "") == self.problem.text():
            return
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))
        self._sync_visible()
        if text:
            announce(self, text, assertive=True)

    # --- drawing --------------------------------------------------------------------------

    def _changed(self) -> None:
        announce(self, count_text(len(self._files)))
        self.changed.emit()

    def _sync_visible(self) -> None:
        self.setVisible(bool(self._files) or self.problem.isVisible())

    def _rebuild(self) -> None:
        for row in self._rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self._rows = []
        for n, f in enumerate(self._files):
            row = QWidget(self)
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            label = PlainLabel(
                _("{name} ({size})").format(name=f.name, size=human_size(f.size)), row
            )
            label.setObjectName(f"composer_attachment_{n}")
            remove = QToolButton(row)
            remove.setObjectName(f"composer_attachment_remove_{n}")
            remove.setText(_("Remove"))
            remove.setAccessibleName(_("Remove {name}").format(name=f.name))
            remove.setAccessibleDescription(_("Take this file off the reply"))
            remove.setToolTip(plain_tip(_("Remove {name}").format(name=f.name)))
            remove.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            remove.clicked.connect(lambda _checked=False, i=n: self.remove(i))
            line.addWidget(label, 1)
            line.addWidget(remove)
            self._layout.insertWidget(n, row)
            self._rows.append(row)
        self._sync_visible()
