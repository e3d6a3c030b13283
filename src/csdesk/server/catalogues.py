"""Words for customers in their own language: a ``csdesk`` gettext catalogue per language.

What the server says to customers (survey pages and messages, the chat widget, the emails the
chat sends, public knowledge-base pages) is marked with ``N_`` and looked up here, per request,
in the catalogue of the customer's language, never in the process-wide one the desk activates;
English, the source text, when there is none.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

from csdesk.i18n import DOMAIN, RIGHT_TO_LEFT, InContext, default_localedir

#: A language tag ("en", "pt-BR", "de_CH"): anything else (the conversation's language is
#: free text an agent can set, a widget's language comes from a visitor's browser) is never
#: used as a path into the catalogue directory.
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
#: Longer than any tag ``LANGUAGE`` accepts: input is cut to this before it is looked at.
MAX_TAG = 16


@lru_cache(maxsize=32)
def translator(language: str) -> gettext.NullTranslations:
    lang = (language or "en").strip().replace("-", "_")[:MAX_TAG] or "en"
    if not LANGUAGE.match(lang):
        return gettext.NullTranslations()  # the English source text
    try:
        return gettext.translation(
            DOMAIN, localedir=str(default_localedir()), languages=[lang], fallback=True
        )
    except (OSError, ValueError):  # an unreadable catalogue must not stop a page or a mail
        return gettext.NullTranslations()


def tr(language: str, message: str) -> str:
    """``message`` in ``language``; one marked with ``NP_`` under its context (msgctxt)."""
    if isinstance(message, InContext):
        return translator(language).pgettext(message.context, message)
    return translator(language).gettext(message)


def has_catalogue(language: str) -> bool:
    """Whether ``language`` has a catalogue of its own (else its words are the English ones)."""
    return isinstance(translator(language), gettext.GNUTranslations)


def tag(language: str | None) -> str | None:
    """``language`` as a tag we answer with ("de", "pt-BR"), or None when it is not one."""
    raw = (language or "").strip()[: MAX_TAG + 1]
    if len(raw) > MAX_TAG or not LANGUAGE.match(raw):
        return None
    head, _, rest = raw.replace("_", "-").partition("-")
    return head.lower() + ("-" + rest if rest else "")


def is_right_to_left(language: str) -> bool:
    """Whether ``language`` (a tag) is written right to left (the shipped ones: Arabic)."""
    return language.split("-", 1)[0].lower() in RIGHT_TO_LEFT
