"""Dates, times, numbers, percentages and money as the desk's language writes them (Babel/CLDR).

One module, so "5 Dec 14:00", "57 %" and "1.234,50 €" are written the same way everywhere the
desk shows them. The locale follows :func:`csdesk.i18n.current_language` at call time, so a
language switch changes every figure drawn afterwards without anyone passing a locale around.

English keeps the desk's British conventions (24-hour clock, day before month), which is what
it showed before it had languages; every other language uses its CLDR defaults. Times are
shown in the desk's local time zone.

Values come from the server and, through it, from shops: an unknown currency code or an amount
Babel cannot format falls back to plain digits and the code, never to an exception.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent

from csdesk.i18n import current_language

__all__ = [
    "FORMAT_LOCALES",
    "date_text",
    "datetime_text",
    "day_text",
    "decimal",
    "format_locale",
    "mid_sentence",
    "money",
    "month_abbr",
    "number",
    "percent",
    "relative",
    "time_text",
    "weekday_abbr",
]

#: The CLDR locale each shipped language formats with.
FORMAT_LOCALES = {
    "en": "en_GB",
    "de": "de_DE",
    "fr": "fr_FR",
    "es": "es_ES",
    "nl": "nl_NL",
    "ar": "ar",
}


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES.get(code, "en_GB"))


def format_locale(language: str | None = None) -> Locale:
    """The Babel locale figures are written in: ``language``'s, or the active one's."""
    return _locale(language or current_language())


def warm(language: str | None = None) -> None:
    """Load the locale's data and patterns now (for a worker thread at start): the first
    figure written otherwise pays ~20-30 ms of Babel loading on the GUI thread, the first
    time a customer card or a clock time shows. Babel's data cache takes a lock."""
    at = datetime(2026, 1, 5, 14, 0).astimezone()
    loc = format_locale(language)
    format_time(at, "short", tzinfo=at.tzinfo, locale=loc)
    format_date(at.date(), "medium", locale=loc)
    format_skeleton("dMMM", at.date(), locale=loc)
    format_timedelta(timedelta(minutes=5), locale=loc)
    format_decimal(1234.5, locale=loc)


def _local(at: datetime, tz: tzinfo | None) -> datetime:
    return at.astimezone(tz)


def time_text(at: datetime, tz: tzinfo | None = None) -> str:
    """A clock time: "14:00" (en, de), "14 h 00" style where the locale writes it so."""
    local = _local(at, tz)  # Babel would otherwise convert to its own idea of the zone
    return format_time(local, "short", tzinfo=local.tzinfo, locale=format_locale())


def date_text(day: date | datetime, *, year: bool = True) -> str:
    """A date in the locale's medium form: "5 Dec 2026" (en), "05.12.2026" (de); without
    ``year`` the day and abbreviated month: "5 Dec", "5. Dez."."""
    value = day.date() if isinstance(day, datetime) else day
    if year:
        return format_date(value, "medium", locale=format_locale())
    return format_skeleton("dMMM", value, locale=format_locale())


def datetime_text(at: datetime, *, year: bool = True, tz: tzinfo | None = None) -> str:
    """Date and time together: "5 Dec 2026 14:00"."""
    local = _local(at, tz)
    glue = str(format_locale().datetime_formats["medium"])  # "{1} {0}", "{1}, {0}", …
    clock = time_text(local, local.tzinfo)  # not back to the machine's zone
    return glue.replace("{1}", date_text(local, year=year)).replace("{0}", clock)


def day_text(day: date) -> str:
    """A day with its weekday: "Sat 5 Dec"."""
    return format_skeleton("MMMEd", day, locale=format_locale())


def long_day_text(day: date) -> str:
    """A day in full in the desk's language: "Friday, 4 December 2026", "Freitag, 4. Dezember
    2026" (the thread's day separators; Qt's own locale follows the OS, not the desk)."""
    return format_date(day, "full", locale=format_locale())


def weekday_abbr(day: date) -> str:
    return format_date(day, "EEE", locale=format_locale())


def month_abbr(day: date) -> str:
    return format_date(day, "LLL", locale=format_locale())


#: Languages that write a noun with a capital letter inside a sentence too ("nach Kanal").
CAPITALISED_NOUNS: frozenset[str] = frozenset({"de"})


def mid_sentence(label: str) -> str:
    """A label ("Channel", "On a call") as it reads inside a sentence: lower-cased first letter
    in English, French, Spanish, Dutch; kept in German (nouns keep their capital) and for
    abbreviations ("SLA", "CSAT")."""
    if not label or current_language() in CAPITALISED_NOUNS:
        return label
    if len(label) > 1 and label[1].isupper():
        return label
    return label[0].lower() + label[1:]


def relative(delta: timedelta, *, direction: bool = True) -> str:
    """A span as words: "in 5 minutes", "3 hours ago" (``direction=False``: "5 minutes")."""
    return format_timedelta(
        delta, threshold=0.9, add_direction=direction, format="long", locale=format_locale()
    )


def number(value: int | float) -> str:
    """A count or a figure with the locale's grouping: "1,234" / "1.234"."""
    return format_decimal(value, locale=format_locale())


def decimal(value: float, places: int) -> str:
    """A figure with exactly ``places`` decimals: "3.50" / "3,50"."""
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
    return format_decimal(value, format=pattern, locale=format_locale())


def percent(fraction: float) -> str:
    """A share as a percentage, whole numbers: 0.573 → "57%" (en), "57 %" (de)."""
    return format_percent(fraction, locale=format_locale())


def money(cents: int, currency: str) -> str:
    """An amount in minor units in its currency: (123450, "EUR") → "€1,234.50" (en),
    "1.234,50 €" (de). An empty or unknown currency keeps the digits and shows the code."""
    amount = cents / 100
    code = (currency or "").strip().upper()
    if len(code) == 3 and code.isascii() and code.isalpha():
        try:
            return format_currency(amount, code, locale=format_locale())
        except (ValueError, KeyError, ArithmeticError):  # Babel's refusals of odd input
            pass
    digits = decimal(amount, 2)
    return f"{digits} {currency}".strip() if currency else digits
