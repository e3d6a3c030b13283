"""Accessibility settings: language, theme, text size, speech and announcements, applied as they
change.

Every change takes effect at once (style sheet and fonts re-rendered, speech parameters handed to
the engine) because an agent who cannot read the current text size cannot be asked to press
"Apply" first. The values go into :class:`~csdesk.settings.Settings`; the window saves the file
when the dialog closes. Labels come from the option table (``settings.OPTIONS``), so a control
and its option cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk import settings as opts
from csdesk.i18n import LANGUAGES, _
from csdesk.settings import Option, Settings
from csdesk.ui.appearance import Appearance
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.screen_fit import resize_within_screen
from csdesk.ui.speech_bridge import Speaker, SpeechOptions

__all__ = ["SettingsDialog"]


def _theme_names() -> dict[str, str]:
    return {
        "system": _("Follow the system"),
        "light": _("Light"),
        "dark": _("Dark"),
        "high_contrast": _("High contrast"),
        "high_contrast_dark": _("High contrast dark"),
    }


def _inbound_names() -> dict[str, str]:
    return {
        "all": _("Every new message"),
        "mine": _("New messages in conversations assigned to me"),
        "none": _("No new messages"),
    }


def _verbosity_names() -> dict[str, str]:
    return {"full": _("Full: the whole sentence"), "brief": _("Brief: just the gist")}


@cache
def _zone_names() -> frozenset[str]:
    """The IANA zones this machine knows (read once: a walk of the zone files)."""
    return frozenset(available_timezones())


def _name_spin(spin: QSpinBox, name: str) -> None:
    """The spin box and its inner editor (which takes the focus) both carry the name, so a
    screen reader never lands on a nameless text field."""
    spin.setAccessibleName(name)
    spin.lineEdit().setAccessibleName(name)


def _language_names() -> dict[str | None, str]:
    """System default (translated), then each shipped language named in itself, so someone
    who cannot read the current language still finds their own."""
    names: dict[str | None, str] = {None: _("System default")}
    names.update(LANGUAGES)
    return names


#: How long the language list must rest on a choice before the window is rebuilt in it.
LANGUAGE_SETTLE_MS = 700


class SettingsDialog(QDialog):
    """Signals: ``language_changed(str)`` — the agent chose another language (the setting's
    new value, "" for System default); the opener applies it and rebuilds its windows.
    ``finished(int)`` tells the opener to save and restore focus."""

    language_changed = Signal(str)

    def __init__(
        self,
        settings: Settings,
        appearance: Appearance,
        speaker: Speaker | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings, self.appearance, self.speaker = settings, appearance, speaker
        self._focus_language = False  # reopened after a language switch: start there
        self.setObjectName("settings")
        self.setWindowTitle(_("Settings"))
        self.setAccessibleName(_("Settings"))
        self.setAccessibleDescription(_("Changes apply at once and are saved when you close."))

        look = QGroupBox(_("Appearance"), self)
        look_form = QFormLayout(look)
        self.theme = self._combo("settings_theme", opts.THEME, _theme_names(), look)
        look_form.addRow(self._label(opts.THEME, self.theme, look), self.theme)
        self.text_size = QSpinBox(look)
        self.text_size.setObjectName("settings_text_size")
        self.text_size.setRange(100, 200)
        self.text_size.setSingleStep(25)
        self.text_size.setSuffix(" %")
        self.text_size.setValue(round(settings.get(opts.FONT_SCALE) * 100))
        _name_spin(self.text_size, _("Text size in percent"))
        self.text_size.setKeyboardTracking(False)  # apply 150, not 1 then 15 then 150
        self.text_size.valueChanged.connect(self._text_size_changed)
        look_form.addRow(self._label(opts.FONT_SCALE, self.text_size, look), self.text_size)

        # Languages (docs/languages.md): the choice applies at once; the window is rebuilt.
        words = QGroupBox(_("Language and formats"), self)
        words_form = QFormLayout(words)
        self.language = QComboBox(words)
        self.language.setObjectName("settings_language")
        self.language.setAccessibleName(_("Language"))
        self.language.setAccessibleDescription(
            _("The language of the desk; dates, times, numbers and amounts follow it.")
        )
        for code, name in _language_names().items():
            self.language.addItem(name, code)
        chosen = settings.get(opts.LOCALE)
        found = self.language.findData(chosen) if chosen is not None else 0
        self.language.setCurrentIndex(max(0, found))
        # A rebuild per arrow key would drag a keyboard user through every language on the
        # way: the choice applies once the list has rested (LANGUAGE_SETTLE_MS) or the dialog
        # closes.
        self._language_settle = QTimer(self)
        self._language_settle.setSingleShot(True)
        self._language_settle.setInterval(LANGUAGE_SETTLE_MS)
        self._language_settle.timeout.connect(lambda: self._language_chosen(0))
        self.language.currentIndexChanged.connect(lambda _i: self._language_settle.start())
        words_form.addRow(self._label(opts.LOCALE, self.language, words), self.language)
        # --- time zone (docs/scheduled-send.md) ---
        self.time_zone = QComboBox(words)
        self.time_zone.setObjectName("settings_time_zone")
        self.time_zone.setAccessibleName(_("Time zone"))
        self.time_zone.setAccessibleDescription(
            _("The times you choose and read for scheduled replies and reminders.")
        )
        self.time_zone.addItem(_("The system's time zone"), None)
        zone = settings.get(opts.TIME_ZONE)
        for key in sorted(_zone_names() | ({zone} if zone else set())):
            self.time_zone.addItem(key, key)
        self.time_zone.setCurrentIndex(max(0, self.time_zone.findData(zone)) if zone else 0)
        self.time_zone.currentIndexChanged.connect(self._time_zone_chosen)
        words_form.addRow(self._label(opts.TIME_ZONE, self.time_zone, words), self.time_zone)

        voice = QGroupBox(_("Speech"), self)
        voice_form = QFormLayout(voice)
        self.engine_status = PlainLabel(voice)
        self.engine_status.setObjectName("settings_engine_status")
        self.engine_status.setWordWrap(True)
        self.engine_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.engine_status.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        status_label = PlainLabel(_("Engine:"), voice)
        status_label.setBuddy(self.engine_status)
        voice_form.addRow(status_label, self.engine_status)
        self.enabled = self._check("settings_speech_enabled", opts.SPEECH_ENABLED, voice)
        voice_form.addRow(self.enabled)
        self.voice = QComboBox(voice)
        self.voice.setObjectName("settings_voice")
        self.voice.setAccessibleName(_("Voice"))
        self.voice.currentIndexChanged.connect(self._voice_changed)
        voice_form.addRow(self._label(opts.SPEECH_VOICE_ID, self.voice, voice), self.voice)
        self.rate = QSpinBox(voice)
        self.rate.setObjectName("settings_rate")
        self.rate.setRange(
            int(opts.SPEECH_RATE.minimum or 80), int(opts.SPEECH_RATE.maximum or 400)
        )
        self.rate.setSingleStep(10)
        self.rate.setValue(settings.get(opts.SPEECH_RATE))
        _name_spin(self.rate, _("Speech rate in words per minute"))
        self.rate.setKeyboardTracking(False)
        self.rate.valueChanged.connect(lambda v: self._set(opts.SPEECH_RATE, int(v)))
        voice_form.addRow(self._label(opts.SPEECH_RATE, self.rate, voice), self.rate)
        self.volume = QSlider(Qt.Orientation.Horizontal, voice)
        self.volume.setObjectName("settings_volume")
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume.setValue(round(settings.get(opts.SPEECH_VOLUME) * 100))
        self.volume.setAccessibleName(_("Speech volume in percent"))
        self.volume.valueChanged.connect(lambda v: self._set(opts.SPEECH_VOLUME, v / 100))
        voice_form.addRow(self._label(opts.SPEECH_VOLUME, self.volume, voice), self.volume)
        self.inbound = self._combo(
            "settings_speak_inbound", opts.SPEAK_INBOUND, _inbound_names(), voice
        )
        voice_form.addRow(self._label(opts.SPEAK_INBOUND, self.inbound, voice), self.inbound)
        self.sla = self._check("settings_speak_sla", opts.SPEAK_SLA_WARNINGS, voice)
        voice_form.addRow(self.sla)
        self.on_demand_only = self._check(
            "settings_only_on_demand", opts.ONLY_ON_DEMAND_WHEN_SCREEN_READER, voice
        )
        voice_form.addRow(self.on_demand_only)

        talk = QGroupBox(_("Announcements"), self)
        talk_form = QFormLayout(talk)
        self.verbosity = self._combo(
            "settings_verbosity", opts.ANNOUNCEMENT_VERBOSITY, _verbosity_names(), talk
        )
        talk_form.addRow(
            self._label(opts.ANNOUNCEMENT_VERBOSITY, self.verbosity, talk), self.verbosity
        )

        work = QGroupBox(_("Conversations"), self)
        work_form = QFormLayout(work)
        self.assign_on_reply = self._check("settings_assign_on_reply", opts.ASSIGN_ON_REPLY, work)
        work_form.addRow(self.assign_on_reply)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(_("Close settings"))
        close.setObjectName("settings_close")
        buttons.rejected.connect(self.reject)
        # The groups scroll when they are taller than the screen (200 % text on 1600x1000);
        # the Close button stays in view below them.
        inner = QWidget(self)
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 0, 0)
        for box in (look, words, voice, talk, work):
            column.addWidget(box)
        scroll = QScrollArea(self)
        scroll.setObjectName("settings_scroll")
        scroll.setAccessibleName(_("Settings"))
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls; it follows
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        want = inner.sizeHint()
        bar = scroll.verticalScrollBar()
        extra = (bar.sizeHint().width() if bar is not None else 0) + 40
        resize_within_screen(
            self, want.width() + extra, want.height() + buttons.sizeHint().height() + 40
        )
        self._fill_voices()
        self._show_status()
        if speaker is not None:
            speaker.status_changed.connect(self._engine_changed)

    def showEvent(self, event: QShowEvent) -> None:
        """Start on the first control, so keyboard users are not left on the dialog itself."""
        super().showEvent(event)
        self.activateWindow()
        first = self.language if self._focus_language else self.theme
        first.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def focus_language(self) -> None:
        """Put the keyboard on the language choice (the dialog reopened after a switch)."""
        self._focus_language = True
        self.language.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- building ------------------------------------------------------------------------

    def _label(self, option: Option[Any], buddy: QWidget, parent: QWidget) -> QLabel:
        label = PlainLabel(_(option.label) + ":", parent)
        label.setBuddy(buddy)
        return label

    def _combo(
        self, name: str, option: Option[str], choices: dict[str, str], parent: QWidget
    ) -> QComboBox:
        combo = QComboBox(parent)
        combo.setObjectName(name)
        combo.setAccessibleName(_(option.label))
        for value, text in choices.items():
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(self.settings.get(option))))
        combo.currentIndexChanged.connect(lambda _i: self._set(option, combo.currentData()))
        return combo

    def _check(self, name: str, option: Option[bool], parent: QWidget) -> QCheckBox:
        box = QCheckBox(_(option.label), parent)
        box.setObjectName(name)
        box.setAccessibleName(_(option.label))
        box.setChecked(self.settings.get(option))
        box.toggled.connect(lambda on: self._set(option, bool(on)))
        return box

    def _fill_voices(self) -> None:
        self.voice.blockSignals(True)
        self.voice.clear()
        self.voice.addItem(_("Default voice"), None)
        voices = self.speaker.voices() if self.speaker is not None else ()
        for v in voices:
            langs = ", ".join(v.languages)
            self.voice.addItem(f"{v.name} ({langs})" if langs else v.name, v.id)
        self.voice.setCurrentIndex(
            max(0, self.voice.findData(self.settings.get(opts.SPEECH_VOICE_ID)))
        )
        self.voice.blockSignals(False)

    def _show_status(self) -> None:
        text = self.speaker.status_text() if self.speaker is not None else _("No speech engine.")
        self.engine_status.setText(text)
        self.engine_status.setAccessibleDescription(text)
        self.engine_status.setAccessibleName(_("Speech engine status"))

    def _engine_changed(self, _status: object) -> None:
        self._fill_voices()
        self._show_status()

    # --- applying ------------------------------------------------------------------------

    def _text_size_changed(self, percent: int) -> None:
        self._set(opts.FONT_SCALE, percent / 100)

    def _voice_changed(self, _index: int) -> None:
        data = self.voice.currentData()
        self._set(opts.SPEECH_VOICE_ID, data if isinstance(data, str) else None)

    def done(self, result: int) -> None:
        if self._language_settle.isActive():  # closed before the list rested: apply it now
            self._language_settle.stop()
            self._language_chosen(0)
        super().done(result)

    def _language_chosen(self, _index: int) -> None:
        data = self.language.currentData()
        value = data if isinstance(data, str) else None
        if value == self.settings.get(opts.LOCALE):
            return
        self._set(opts.LOCALE, value)
        self.language_changed.emit(value or "")

    def _time_zone_chosen(self, _index: int) -> None:
        data = self.time_zone.currentData()
        self._set(opts.TIME_ZONE, data if isinstance(data, str) else None)

    def _set(self, option: Option[Any], value: object) -> None:
        """Keep the value and make it true now: look, then voice."""
        self.settings.set(option, value)
        if option in (opts.THEME, opts.FONT_SCALE):
            self.appearance.apply()
        if self.speaker is not None:
            self.speaker.apply(SpeechOptions.from_settings(self.settings))
