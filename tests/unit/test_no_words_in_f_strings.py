"""pybabel (on Python 3.11) does not look inside f-strings: a ``_('…')`` written in one is never
extracted, so it stays English in every language (the customer pane's "Identities", "Orders"
and "No orders." did). Words are translated outside the f-string and put in."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "csdesk"
CALL = re.compile(r"(?<![\w.])(_|N_|ngettext|pgettext|npgettext)\(")


def _f_strings_with_calls(path: Path) -> list[str]:
    found = []
    with path.open("rb") as handle:
        for tok in tokenize.tokenize(handle.readline):
            if tok.type != tokenize.STRING:
                continue
            prefix = re.match(r"[A-Za-z]*", tok.string)
            if prefix is None or "f" not in prefix.group(0).lower():
                continue
            if CALL.search(tok.string):
                found.append(f"{path.name}:{tok.start[0]}: {tok.string[:70]}")
    return found


def test_no_translated_word_is_written_inside_an_f_string() -> None:
    found = [hit for path in sorted(SRC.rglob("*.py")) for hit in _f_strings_with_calls(path)]
    assert found == [], "\n".join(found)


def test_the_check_finds_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("x = f\"<h3>{e(_('Orders'))}</h3>\"\ny = _('fine')\n")
    assert len(_f_strings_with_calls(sample)) == 1
