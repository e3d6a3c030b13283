"""The desk's language, applied to the running application: our catalogue, Qt's own strings
and the layout direction (docs/languages.md).

One object owns "which language the app speaks now", like :class:`~csdesk.ui.appearance.Appearance`
owns the look: start-up applies the saved choice before the first window is built, and the
settings panel's choice goes through the same :meth:`Language.apply`. The windows are then
rebuilt by their owner (:class:`~csdesk.ui.app.Controller`), because every label, tooltip and
accessible name is read through ``_()`` when a widget is built; see ``rebuild_window`` there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, Qt, QTranslator, Signal
from PySide6.QtGui import QGuiApplication

from csdesk import i18n
from csdesk import settings as opts
from csdesk.settings import Settings

__all__ = ["Language", "qt_translations_dir"]


def qt_translations_dir() -> Path:
    """Where Qt keeps ``qtbase_<lang>.qm`` (inside PySide6, also in a PyInstaller bundle)."""
    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))


class Language(QObject):
    """Signals: ``changed(str)`` after :meth:`apply` switched to another language (its code)."""

    changed = Signal(str)

    def __init__(
        self, app: QGuiApplication, settings: Settings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.app, self.settings = app, settings
        self.code: str | None = None  # none applied yet
        self._qt: QTranslator | None = None

    def wanted(self) -> str:
        """The shipped language the setting asks for; System default reads the OS (the
        environment first, as gettext does, then what Qt reports for Windows and macOS)."""
        return i18n.resolve_language(self.settings.get(opts.LOCALE), QLocale.system().name())

    def apply(self) -> str:
        """Make the setting's language the app's: catalogue, Qt's strings, direction.
        Returns the code; emits ``changed`` only when it differs from the one in force."""
        code = i18n.set_language(self.wanted())
        self._install_qt_strings(code)
        self.app.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft
            if i18n.is_right_to_left(code)
            else Qt.LayoutDirection.LeftToRight
        )
        previous, self.code = self.code, code
        if previous is not None and previous != code:
            self.changed.emit(code)
        return code

    def _install_qt_strings(self, code: str) -> None:
        """Qt's own texts (standard buttons, context menus of text fields) in ``code``."""
        if self._qt is not None:
            self.app.removeTranslator(self._qt)
            self._qt = None
        if code == i18n.SOURCE_LANGUAGE:
            return
        translator = QTranslator(self)
        if translator.load(f"qtbase_{code}", str(qt_translations_dir())):
            self.app.installTranslator(translator)
            self._qt = translator
        else:
            translator.deleteLater()  # Qt ships no such file: its strings stay English

    def detach(self) -> None:
        """Back to the source language, left to right, without Qt's translator: the state
        before :meth:`apply` (the application and the process outlive this object in tests)."""
        if self._qt is not None:
            self.app.removeTranslator(self._qt)
            self._qt = None
        if self.code is not None:
            i18n.set_language(i18n.SOURCE_LANGUAGE)
            self.app.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
            self.code = None
