"""Normalise the headers of the shipped ``.po`` files (run by ``make i18n-update``).

- Plural forms as GNU gettext writes them for French and Spanish (two: one, other). Babel's
  CLDR data gives these languages a third form ("many", for 1 000 000 and up) that no translator
  writes and gettext tools do not expect; with it in the header, a million of anything would
  fall back to English.
- No ``fuzzy`` flag on the header: a catalogue built by a script (``babel.messages.Catalog``)
  starts fuzzy, and ``pybabel compile`` then skips the whole file.

Usage: ``python packaging/i18n_normalise.py resources/translations``
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

#: gettext's traditional plural forms where they differ from CLDR's.
PLURAL_FORMS = {
    "fr": (2, "(n > 1)"),
    "es": (2, "(n != 1)"),
}


def normalise(po: Path, lang: str) -> None:
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    if lang in PLURAL_FORMS:
        catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[lang]  # no public setter
    catalog.fuzzy = False
    with po.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=True, no_location=True)


def main(folder: str) -> None:
    for po in sorted(Path(folder).glob("*/LC_MESSAGES/csdesk.po")):
        normalise(po, po.parent.parent.name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "resources/translations")
