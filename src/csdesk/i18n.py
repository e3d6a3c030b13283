"""Translation entry points: ``_``, ``N_`` and ``ngettext`` over the ``csdesk`` gettext domain.

Nothing is translated until start-up calls :func:`activate`, so importing a module never touches
the file system and tests see the source strings unless they install a catalogue themselves.
Lookups happen at call time, which is why strings must be wrapped where they are shown, not at
import (use ``N_`` to mark module-level constants and translate them with ``_`` later).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from csdesk.resources import resource_path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "NP_",
    "N_",
    "RIGHT_TO_LEFT",
    "SOURCE_LANGUAGE",
    "InContext",
    "_",
    "activate",
    "current_language",
    "default_localedir",
    "is_right_to_left",
    "ngettext",
    "pgettext",
    "resolve_language",
    "set_language",
    "system_language",
    "use_translations",
]

DOMAIN = "csdesk"

#: The language the source strings are written in (no catalogue needed).
SOURCE_LANGUAGE = "en"

#: The languages the desk ships, each named in itself (what the settings panel lists), in the
#: order shown. A code here needs ``resources/translations/<code>/LC_MESSAGES/csdesk.mo``.
LANGUAGES: Mapping[str, str] = MappingProxyType(
    {
        "en": "English",
        "de": "Deutsch",
        "fr": "Français",
        "es": "Español",
        "nl": "Nederlands",
        "ar": "العربية",
    }
)

#: Shipped languages written right to left: the whole window is mirrored for them.
RIGHT_TO_LEFT = frozenset({"ar"})

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE_LANGUAGE


def default_localedir() -> Path:
    """Where compiled catalogues live (optional: gettext falls back to source strings)."""
    return resource_path("translations", required=False)


def activate(
    languages: Sequence[str] | None = None, localedir: Path | None = None
) -> gettext.NullTranslations:
    """Load the catalogue for the first available language, or fall back to source strings.

    ``languages=None`` lets gettext read LANGUAGE, LC_ALL, LC_MESSAGES and LANG, which is what a
    user who never touched the language setting expects.
    """
    translations = gettext.translation(
        DOMAIN,
        localedir=str(localedir or default_localedir()),
        languages=list(languages) if languages is not None else None,
        fallback=True,
    )
    use_translations(translations)
    return translations


def _shipped(code: str) -> str | None:
    """``de_AT.UTF-8`` → ``de`` when German ships; ``None`` for ``C``, ``POSIX`` or unknown."""
    primary = code.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """The shipped language the operating system asks for, else English.

    Reads the variables gettext reads, in its order (``LANGUAGE`` may list several, separated
    by colons). Windows and macOS set none of them for GUI apps, so the caller may pass what Qt
    reports (:func:`resolve_language` with ``fallback``)."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        for part in value.split(":"):
            found = _shipped(part)
            if found is not None:
                return found
        if name != "LANGUAGE":  # the first set LC_* or LANG decides, as in gettext
            break
    return SOURCE_LANGUAGE


def resolve_language(choice: str | None, fallback: str | None = None) -> str:
    """The shipped language for a setting's value: ``None`` (System default) follows the OS
    (``fallback``, e.g. Qt's ``QLocale.system().name()``, when the environment says nothing
    shipped); an unknown code falls back to English rather than to a half-translated desk."""
    if choice is None:
        found = system_language()
        if found == SOURCE_LANGUAGE and fallback:
            found = _shipped(fallback) or SOURCE_LANGUAGE
        return found
    return _shipped(choice) or SOURCE_LANGUAGE


def set_language(code: str, localedir: Path | None = None) -> str:
    """Make ``code`` (a shipped language) the one every later ``_()`` answers in; returns it.

    English installs no catalogue at all, so a stray ``csdesk.mo`` for ``en`` cannot change
    the source strings."""
    global _language
    code = _shipped(code) or SOURCE_LANGUAGE
    if code == SOURCE_LANGUAGE:
        use_translations(gettext.NullTranslations())
    else:
        activate([code], localedir)
    _language = code
    return code


def current_language() -> str:
    """The language :func:`set_language` last chose (English until start-up chooses)."""
    return _language


def is_right_to_left(code: str | None = None) -> bool:
    return (code or _language) in RIGHT_TO_LEFT


def use_translations(translations: gettext.NullTranslations) -> None:
    """Install an already-built catalogue (tests, or a language switch without a restart)."""
    global _active
    _active = translations


def _(message: str) -> str:
    return _active.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (module-level constants)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context`` (gettext's msgctxt): the same English word said
    in two places ("You" in the chat widget, "You" in the desk) gets two entries."""
    return _active.pgettext(context, message)


class InContext(str):
    """A message marked with :func:`NP_`: the English text itself (so it compares, prints and
    serialises as the text), and the ``context`` it is looked up under."""

    context: str

    def __new__(cls, context: str, message: str) -> InContext:
        made = super().__new__(cls, message)
        made.context = context
        return made


def NP_(context: str, message: str) -> InContext:
    """Mark ``message`` with its context for extraction (``pybabel extract -k NP_:1c,2``)
    without translating it yet; look it up with ``pgettext`` (or ``catalogues.tr``)."""
    return InContext(context, message)
