"""Side conversations (docs/side-conversations.md): a conversation or one message forwarded by
email to an outside address (a supplier, a carrier), whose replies are kept beside the
customer's thread, never in it. Standard library only: the server's checks and the desk's own
(which say so before the server refuses) use these rules.

The address is one bare address (``name@example.com``): no display name, no list, no line
break, nothing a mail header could be smuggled in with; checked here, and the mail is built
with Python's header-safe ``email`` package besides.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from csdesk.domain.header_text import one_line

MAX_ADDRESS: Final = 254  # RFC 5321's path limit
MAX_SUBJECT: Final = 300
MAX_NOTE: Final = 5_000
#: What an agent writes back to the outside address in a side conversation.
MAX_REPLY_TEXT: Final = 20_000
#: The forwarded text (the note, then the thread): older messages are left out past this.
MAX_FORWARD_CHARS: Final = 200_000
#: Side conversations per customer conversation, and messages kept per side conversation:
#: enough for real work, a bound on what one agent (or one noisy supplier) can pile up.
MAX_PER_CONVERSATION: Final = 20
MAX_MESSAGES: Final = 200
#: A reply's text kept in the side conversation (a long quoted history is cut).
MAX_REPLY_CHARS: Final = 50_000
#: How a forwarded thread's mail says which files did not fit in the mailbox's
#: ``--max-attachment-bytes`` (the server's words, in the mail; the desk recognises it and
#: says so in the agent's language).
FILES_LEFT_OUT: Final = "Files not attached"

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TOKEN: Final = re.compile(r"\[#(S[0-9A-F]{12})\]")


class Scope(StrEnum):
    """What is forwarded: the whole thread, or one message of it."""

    THREAD = "thread"
    MESSAGE = "message"


class Direction(StrEnum):
    OUT = "out"  # what we sent
    IN = "in"  # what came back


class SideStatus(StrEnum):
    """A side message's delivery: queued → sent, or failed with a reason (``in``: received)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    RECEIVED = "received"


class AddressProblem(ValueError):
    """Why an address is refused, in a sentence for the agent."""


def check_address(raw: str) -> str:
    """``raw`` as one bare address (domain lower-cased), or ``AddressProblem``."""
    if len(raw) > MAX_ADDRESS:
        raise AddressProblem(f"The address is longer than {MAX_ADDRESS} characters.")
    if any(c in raw for c in "\r\n\x00"):
        raise AddressProblem("The address cannot contain a line break.")
    text = raw.strip()
    if not text:
        raise AddressProblem("Give the address to forward to.")
    if any(c in text for c in ',;<>"() \t'):
        raise AddressProblem("Give one plain address, such as orders@supplier.example.")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or len(local) > 64 or not _LOCAL.match(local):
        raise AddressProblem("This is not an email address (it needs name@domain).")
    domain = domain.lower().rstrip(".")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressProblem("The address's domain is not valid.") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise AddressProblem("The address's domain is not valid.")
    return f"{local}@{ascii_domain}"  # mailable without SMTPUTF8


def clean_subject(subject: str) -> str:
    """One line, bounded: a subject can never carry a second header."""
    return one_line(subject)[:MAX_SUBJECT]


def token_for(side_id: str) -> str:
    """The side conversation's reply token (``S`` + 12 hex digits of its id)."""
    hexes = "".join(c for c in side_id.lower() if c in "0123456789abcdef")
    return "S" + hexes[:12].upper().ljust(12, "0")


def subject_with_token(subject: str, token: str) -> str:
    """``subject [#Sxxxxxxxxxxxx]``: what survives a mail client that drops In-Reply-To."""
    base = _TOKEN.sub("", clean_subject(subject)).strip()
    return f"{base} [#{token}]"[: MAX_SUBJECT + 16]


def token_in(subject: str | None) -> str | None:
    """The side token in ``subject`` (the last one), or None."""
    found = _TOKEN.findall((subject or "")[:2000].upper())
    return found[-1] if found else None


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    if len(text) <= limit:
        return text
    return text[: limit - 40].rstrip() + "\n[… the rest was left out]"
