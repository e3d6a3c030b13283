"""Figures follow the desk's language (csdesk.app.formats, Babel/CLDR): issue 13."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from csdesk import i18n
from csdesk.app import formats
from csdesk.app.present import money

NBSP, NNBSP = "\u00a0", "\u202f"
AT = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


@pytest.fixture
def language() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.mark.usefixtures("language")
@pytest.mark.parametrize(
    ("lang", "amount", "share", "count", "time", "day", "ago"),
    [
        ("en", "€1,234.50", "57%", "1,234,567", "14:00", "Sat 5 Dec", "5 minutes ago"),
        ("de", f"1.234,50{NBSP}€", f"57{NBSP}%", "1.234.567", "14:00", "Sa., 5. Dez.",
         "vor 5 Minuten"),
        ("fr", f"1{NNBSP}234,50{NBSP}€", f"57{NBSP}%", f"1{NNBSP}234{NNBSP}567", "14:00",
         "sam. 5 déc.", "il y a 5 minutes"),
        ("es", f"1.234,50{NBSP}€", f"57{NBSP}%", "1.234.567", "14:00", "sáb, 5 dic",
         "hace 5 minutos"),
        ("nl", f"€{NBSP}1.234,50", "57%", "1.234.567", "14:00", "za 5 dec", "5 minuten geleden"),
    ],
)  # fmt: skip
def test_figures_follow_the_language(
    lang: str, amount: str, share: str, count: str, time: str, day: str, ago: str
) -> None:
    i18n.set_language(lang)
    assert formats.money(123450, "EUR") == amount
    assert money(123450, "EUR") == amount  # the customer pane's helper is the same one
    assert formats.percent(0.573) == share
    assert formats.number(1234567) == count
    assert formats.time_text(AT, UTC) == time
    assert formats.day_text(AT.date()) == day
    assert formats.relative(timedelta(minutes=-5)) == ago


@pytest.mark.usefixtures("language")
def test_arabic_writes_its_own_month_names_and_clock() -> None:
    i18n.set_language("ar")
    assert formats.date_text(date(2026, 12, 5), year=False) == "5 ديسمبر"
    assert formats.time_text(AT, UTC) == "2:00 م"


def test_odd_currencies_never_raise() -> None:
    assert formats.money(123450, "") == "1,234.50"
    assert formats.money(5, "XYZ") == "XYZ0.05"  # a well-formed unknown code: Babel shows it
    assert formats.money(5, "€€") == "0.05 €€"  # not a code at all: digits and what was sent
    assert formats.money(-250, "usd") == "-US$2.50"
    assert formats.decimal(3.5, 2) == "3.50"


@pytest.mark.usefixtures("language")
@pytest.mark.parametrize(
    ("lang", "label", "inside"),
    [
        ("en", "Channel", "channel"),
        ("en", "On a call", "on a call"),
        ("en", "SLA at risk", "SLA at risk"),  # an abbreviation keeps its capitals
        ("fr", "Canal", "canal"),
        ("de", "Kanal", "Kanal"),  # a German noun keeps its capital inside a sentence
        ("en", "", ""),
    ],
)
def test_a_label_inside_a_sentence(lang: str, label: str, inside: str) -> None:
    """Dashboard and floor sentences ("… by channel: …") lower-cased labels with str.lower(),
    which wrote German nouns small ("nach kanal") and acronyms as "sla"."""
    i18n.set_language(lang)
    assert formats.mid_sentence(label) == inside


@pytest.mark.usefixtures("language")
@pytest.mark.parametrize("lang", sorted(formats.FORMAT_LOCALES))
def test_warming_on_a_worker_loads_what_the_gui_thread_then_reuses(lang: str) -> None:
    """The window warms Babel on a worker at start: the GUI thread's first figure then finds
    the language's locale loaded (a hit), instead of loading it itself (~20-30 ms)."""
    import threading

    formats._locale.cache_clear()
    i18n.set_language(lang)
    worker = threading.Thread(target=formats.warm)
    worker.start()
    worker.join()
    loaded = formats._locale.cache_info()
    assert loaded.currsize == 1 and loaded.misses == 1
    assert formats.date_text(AT)  # on this thread, as the GUI's first figure
    assert formats._locale.cache_info().misses == 1  # no second load
