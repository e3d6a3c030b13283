"""Canonical forms for the identities customers are recognised by (server and desk alike).

The same person texts from "(415) 555-0100", calls from "+14155550100" and writes from
"Ann@Example.COM"; identity rows only match if every channel stores one canonical spelling.
"""

from __future__ import annotations

import re

import phonenumbers

_PHONE_PREFIXES = ("tel:", "sms:", "whatsapp:")
_LOCAL_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_QUOTED_LOCAL = re.compile(r'^"(?:[^"\\\r\n]|\\.)*"$')
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_phone(raw: str, default_region: str | None = None, *, strict: bool = False) -> str:
    """Return ``raw`` as E.164 (``+14155550100``) or raise ValueError saying why.

    ``default_region`` (ISO 3166 alpha-2, e.g. "US") reads national numbers such as
    "(415) 555-0100"; without it only international numbers are accepted.  By default the number
    only has to be *possible* (right length for its country): carriers hand us numbers from
    ranges newer than the bundled metadata, and refusing those would lose the customer's
    identity.  ``strict=True`` also requires a number the metadata knows to be assigned, which
    suits what an agent types in by hand.
    """
    text = raw.strip()
    for prefix in _PHONE_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
    if not text:
        raise ValueError("phone number is empty")
    region = default_region.upper() if default_region else None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r} ({exc})") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"not a possible phone number: {raw!r}")
    if strict and not phonenumbers.is_valid_number(number):
        raise ValueError(f"not an assigned phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Return ``raw`` as ``local@domain`` with the domain lower-cased, or raise ValueError.

    The local part keeps its case because RFC 5321 lets the receiving host treat it as case
    sensitive; the domain never is.  Only the shape is checked (one @, sane lengths, DNS-like
    labels, a dot in the domain); deliverability is the mail server's business.
    """
    text = raw.strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an email address (needs local@domain): {raw!r}")
    if any(c.isspace() for c in domain) or (
        any(c.isspace() for c in local) and not local.startswith('"')
    ):
        raise ValueError(f"not an email address (contains whitespace): {raw!r}")
    if len(local) > 64:
        raise ValueError(f"email local part is longer than 64 characters: {raw!r}")
    if not (_QUOTED_LOCAL.match(local) or _dot_atom_ok(local)):
        raise ValueError(f"email local part is not valid: {raw!r}")
    domain = domain.lower().rstrip(".")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"email domain is not valid: {raw!r}") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"email domain is not valid: {raw!r}")
    address = f"{local}@{domain}"
    if len(address) > 254:
        raise ValueError(f"email address is longer than 254 characters: {raw!r}")
    return address


def _dot_atom_ok(local: str) -> bool:
    """RFC 5322 dot-atom: allowed characters, no leading, trailing or doubled dot."""
    return (
        _LOCAL_ATOM.match(local) is not None
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
    )
