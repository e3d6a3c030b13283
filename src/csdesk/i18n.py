"""Translation entry points: ``_``, ``N_`` and ``ngettext`` over the ``csdesk`` gettext domain.

Nothing is translated until start-up calls :func:`activate`, so importing a module never touches
the file system and tests see the source strings unless they install a catalogue themselves.
Lookups happen at call time, which is why strings must be wrapped where they are shown, not at
import (use ``N_`` to mark module-level constants and translate them with ``_`` later).
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from pathlib import Path

from csdesk.resources import resource_path

__all__ = [
    "DOMAIN",
    "N_",
    "_",
    "activate",
    "default_localedir",
    "ngettext",
    "use_translations",
]

DOMAIN = "csdesk"

_active: gettext.NullTranslations = gettext.NullTranslations()


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
