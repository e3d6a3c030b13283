"""The shipped catalogues are complete and current (issue 13, docs/languages.md).

- every string the code marks (``_``, ``N_``, ``ngettext``) is in the template
  ``resources/translations/csdesk.pot``, and the template has nothing the code no longer says
  (run ``make i18n-extract``);
- every shipped language's ``.po`` translates every message, plurals with the language's
  number of forms, keeping the ``{placeholders}`` (an Arabic plural form may say the number in
  words and leave ``{n}`` out);
- the committed ``.mo`` (what the desk reads) is the ``.po`` compiled (run ``make i18n-compile``).

A failure lists what is missing per language (the first 20), for the translators.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from csdesk.i18n import LANGUAGES, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "resources" / "translations"
POT = TRANSLATIONS / "csdesk.pot"
SHIPPED = [code for code in LANGUAGES if code != SOURCE_LANGUAGE]
#: As `make i18n-extract`: Babel's defaults (domain/ takes gettext as a parameter), N_, and
#: the server's refusal templates (second argument; the desk translates them, docs/refusals.md),
#: API errors' (third) and phrases' (first); tests/unit/test_refusal_literals.py keeps these
#: and the Makefile in step with the code.
REFUSALS = ("Reject", "_reject", "reject", "MergeRefused", "TemplateRefused", "ConversationRefused")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    **{name: (2,) for name in REFUSALS},
    "ApiError": (3,),
    "Phrase": None,
    "NP_": ((1, "c"), 2),
}
SHOWN = 20
FIELD = re.compile(r"\{([^{}]*)\}")

MsgId = str | tuple[str, ...]


def _key(msgid: MsgId) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _fields(text: str) -> set[str]:
    """``{name}``, ``{due:%H:%M}``, ``{n!r}`` → their names; ``{{`` is a literal brace."""
    plain = text.replace("{{", "").replace("}}", "")
    return {m.split(":")[0].split("!")[0] for m in FIELD.findall(plain)}


def _listing(problems: list[str]) -> str:
    shown = "\n  ".join(problems[:SHOWN])
    more = f"\n  … and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return f"{len(problems)} problem(s):\n  {shown}{more}"


def _in_context(context: str | None, msgid: MsgId) -> MsgId:
    """A message with a msgctxt is another entry than the same words without one: keyed as
    gettext keys it, ``context\x04msgid``."""
    if not context:
        return msgid
    if isinstance(msgid, tuple):
        return (f"{context}\x04{msgid[0]}", *msgid[1:])
    return f"{context}\x04{msgid}"


def _code_messages() -> set[MsgId]:
    found: set[MsgId] = set()
    method_map = [("**.py", "python")]
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT / "src" / "csdesk"), method_map, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found.add(_in_context(context, tuple(message)))
        elif message:
            found.add(_in_context(context, message))
    return found


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(catalog: Iterable[object]) -> set[MsgId]:
    out: set[MsgId] = set()
    for message in catalog:
        msgid = getattr(message, "id", "")
        if msgid:
            plain = tuple(msgid) if isinstance(msgid, list | tuple) else msgid
            out.add(_in_context(getattr(message, "context", None), plain))
    return out


def test_the_template_has_every_string_of_the_code_and_no_stale_one() -> None:
    code, template = _code_messages(), _ids(_read(POT))
    missing = sorted(code - template, key=_key)
    stale = sorted(template - code, key=_key)
    problems = [f"not in the pot: {m!r}" for m in missing] + [f"stale: {m!r}" for m in stale]
    assert not problems, "run `make i18n-extract`; " + _listing(problems)


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_message_is_translated(lang: str) -> None:
    po = TRANSLATIONS / lang / "LC_MESSAGES" / "csdesk.po"
    assert po.exists(), f"{lang}: no catalogue at {po} (make i18n-update)"
    catalog = _read(po, lang)
    by_id = {_key(_in_context(m.context, m.id)): m for m in catalog if m.id}
    forms = catalog.num_plurals
    problems: list[str] = []
    for msgid in sorted(_ids(_read(POT)), key=_key):
        message = by_id.get(_key(msgid))
        if message is None:
            problems.append(f"missing: {_key(msgid)!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {_key(msgid)!r}")
            continue
        if isinstance(msgid, tuple):
            strings = list(message.string) if isinstance(message.string, tuple | list) else []
            if len(strings) != forms or not all(s.strip() for s in strings):
                problems.append(f"plural needs {forms} forms: {msgid[0]!r}")
                continue
            need = _fields(msgid[0]) | _fields(msgid[1])
            for form in strings:
                got = _fields(form)
                # a form may say the number in words (Arabic one/two) and leave {n} out
                if (need - got) - {"n"} or got - need:
                    problems.append(f"placeholders {sorted(need)} vs {sorted(got)}: {form!r}")
        else:
            string = message.string if isinstance(message.string, str) else ""
            if not string.strip():
                problems.append(f"untranslated: {msgid!r}")
            elif _fields(string) != _fields(msgid):
                problems.append(
                    f"placeholders {sorted(_fields(msgid))} vs {sorted(_fields(string))}: "
                    f"{msgid!r} -> {string!r}"
                )
    assert not problems, f"{lang} ({LANGUAGES[lang]}): " + _listing(problems)


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_committed_mo_is_the_po_compiled(lang: str) -> None:
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    mo = folder / "csdesk.mo"
    assert mo.exists(), f"{lang}: no compiled catalogue (make i18n-compile)"
    buffer = io.BytesIO()
    write_mo(buffer, _read(folder / "csdesk.po", lang))
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with mo.open("rb") as handle:
        committed = gettext.GNUTranslations(handle)
    want: dict[object, str] = fresh._catalog  # type: ignore[attr-defined]
    have: dict[object, str] = committed._catalog  # type: ignore[attr-defined]
    differ = sorted(str(k) for k in set(want) ^ set(have))
    differ += sorted(str(k) for k in set(want) & set(have) if want[k] != have[k])
    assert not differ, f"{lang}: run `make i18n-compile`; " + _listing(differ)
