"""Money from a store's decimal strings to integer minor units, exactly, per currency.

Stores send amounts as text ("29.35", "1000", "-5.00" for a refund in WooCommerce's order
summary). csdesk keeps integer minor units of the order's currency: cents for EUR, yen for JPY
(no decimals), fils for KWD (three). The exponent comes from ISO 4217; a currency not listed has
two decimals, as most do.

Conversion is exact: ``Decimal`` from the text, never a float. Digits past the exponent must be
zeros (``"1000.00"`` JPY is 1000 yen; ``"10.005"`` EUR is not an amount) unless the caller asks
for rounding (a unit price derived by division). Negative, non-numeric (NaN, Infinity, "1e5")
and absurd amounts (past what the database's integer columns hold) are :class:`BadAmount`.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

#: The largest amount csdesk stores, in minor units (the 32-bit INTEGER columns).
MAX_MINOR: Final = 2**31 - 1

#: ISO 4217 currencies whose minor unit is not 1/100.
_EXPONENTS: Final[dict[str, int]] = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
            "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
#: Plain decimal notation only; 15 integer digits is far past MAX_MINOR in any currency.
_AMOUNT: Final = re.compile(r"(-?)(\d{1,15})(?:\.(\d{1,12}))?")


class BadAmount(ValueError):
    """An amount or currency a store sent that csdesk will not take as money."""


def check_currency(code: object) -> str:
    """``code`` as an ISO 4217 alphabetic code (three upper-case letters), or BadAmount."""
    if not isinstance(code, str) or _CURRENCY.fullmatch(code) is None:
        raise BadAmount(f"{str(code)[:20]!r} is not a currency code")
    return code


def exponent(currency: str) -> int:
    """How many decimals ``currency``'s minor unit has (JPY 0, EUR 2, KWD 3)."""
    return _EXPONENTS.get(check_currency(currency), 2)


def to_minor(
    amount: object, currency: str, *, allow_negative: bool = False, rounding: bool = False
) -> int:
    """``amount`` (text, ``Decimal`` or int) in minor units of ``currency``.

    ``allow_negative``: a negative amount is returned as it is (the caller knows the sign is the
    store's convention); otherwise it is :class:`BadAmount`. ``rounding``: digits past the
    currency's exponent are rounded half up instead of refused.
    """
    places = exponent(currency)
    value = _decimal(amount)
    if value < 0 and not allow_negative:
        raise BadAmount(f"negative amount {amount!s:.40}")
    scaled = value.scaleb(places)
    whole = scaled.to_integral_value(rounding=ROUND_HALF_UP)
    if whole != scaled and not rounding:
        raise BadAmount(f"{amount!s:.40} has more decimals than {currency} ({places})")
    minor = int(whole)
    if abs(minor) > MAX_MINOR:
        raise BadAmount(f"amount {amount!s:.40} {currency} is beyond what csdesk stores")
    return minor


def from_minor(minor: int, currency: str) -> str:
    """Minor units as the decimal text stores expect ("12.50", "1000", "1.250")."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise BadAmount(f"{minor!r} is not a whole number of minor units")
    if minor < 0 or minor > MAX_MINOR:
        raise BadAmount(f"amount {minor} out of range")
    places = exponent(currency)
    text = str(Decimal(minor).scaleb(-places))
    if places and "." not in text:  # Decimal(0).scaleb(-2) is "0.00"; others keep places too
        text = f"{text}.{'0' * places}"
    return text


def _decimal(amount: object) -> Decimal:
    if isinstance(amount, bool):
        raise BadAmount("a true/false value is not an amount")
    if isinstance(amount, int):
        if abs(amount) > 10**15:
            raise BadAmount("amount out of range")
        return Decimal(amount)
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            raise BadAmount("amount is not a finite number")
        text = format(amount, "f")
    elif isinstance(amount, str):
        text = amount.strip()
    else:
        raise BadAmount(f"{type(amount).__name__} is not an amount")
    found = _AMOUNT.fullmatch(text)
    if found is None:
        raise BadAmount(f"{text[:40]!r} is not a decimal amount")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise BadAmount(f"{text[:40]!r} is not a decimal amount") from None
