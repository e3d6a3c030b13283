"""Outbound email replies that thread correctly in the customer's mail client.

Threading rests on two things: In-Reply-To/References (what mail clients use) and a conversation
token in the subject (what survives clients that drop those headers, forwards and replies from
another address).  The token is matched back with ``extract_token`` on the next inbound mail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from csdesk.domain.header_text import one_line
from csdesk.server.channels.identities import normalize_email

_TOKEN = re.compile(r"\s*\[#([A-Za-z0-9]{4,20})\]")
_TOKEN_VALUE = re.compile(r"^[A-Za-z0-9]{4,20}$")
# "Re:" as written by mail clients in the languages our customers use (AW: German, SV: Nordic,
# Antw: Dutch, VS: Finnish, Odp: Polish, YNT: Turkish, RE[2]: some Outlook builds).
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw|vs|odp|ynt)(?:\[\d+\])?\s*:", re.IGNORECASE)
_MAX_REFERENCES = 20
_MSG_ID = re.compile(r"^<?([^<>\s]+@[^<>\s]+)>?$")


def embed_token(subject: str, token: str) -> str:
    """Append ``[#TOKEN]`` to ``subject``, replacing any token already there."""
    if not _TOKEN_VALUE.match(token):
        raise ValueError(f"conversation token must be 4-20 letters or digits, got {token!r}")
    base = _TOKEN.sub("", subject).strip()
    return f"{base} [#{token.upper()}]" if base else f"[#{token.upper()}]"


def extract_token(subject: str | None) -> str | None:
    """The conversation token in ``subject`` (the last one, upper-cased), or None."""
    if not subject:
        return None
    found = _TOKEN.findall(subject)
    return found[-1].upper() if found else None


def reply_subject(subject: str | None) -> str:
    """``Re: <subject>`` unless it already carries a reply prefix in any common language."""
    text = one_line(subject)
    if _REPLY_PREFIX.match(text):
        return text
    return f"Re: {text}" if text else "Re:"


def _msg_id(value: str) -> str:
    match = _MSG_ID.match(value.strip())
    if not match:
        raise ValueError(f"not a Message-ID: {value!r}")
    return f"<{match.group(1)}>"


def _address(value: str) -> Address:
    """Parse "Name <a@b>" or "a@b"; the domain goes out as IDNA so any MTA can route it."""
    if "\r" in value or "\n" in value:
        raise ValueError("address contains a line break")
    name, addr = parseaddr(value)
    local, _, domain = normalize_email(addr or value).rpartition("@")
    return Address(display_name=name, username=local, domain=domain.encode("idna").decode())


def reference_chain(references: Sequence[str], in_reply_to: str | None) -> list[str]:
    """The References for a reply: the parent's chain plus the parent, de-duplicated.

    Long chains are cut to the first id and the most recent ones, as RFC 5322 suggests, so a
    year-long conversation does not produce a header some servers reject.
    """
    chain = [_msg_id(r) for r in references]
    if in_reply_to:
        chain.append(_msg_id(in_reply_to))
    chain = list(dict.fromkeys(chain))
    if len(chain) > _MAX_REFERENCES:
        chain = [chain[0], *chain[-(_MAX_REFERENCES - 1) :]]
    return chain


def build_reply(
    *,
    from_addr: str,
    to: Sequence[str],
    subject: str | None,
    text: str,
    msgid_domain: str,
    cc: Sequence[str] = (),
    html: str | None = None,
    token: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    date: datetime | None = None,
) -> EmailMessage:
    """Build an agent's reply, ready for SMTP.

    ``subject`` is the customer's subject: "Re:" is added once and the conversation token
    appended.  No Auto-Submitted header is set: this mail was written by a person, and marking
    it automatic would make the customer's own auto-responders stay silent when they should
    not (and some filters treat it as bulk).  The new Message-ID is in ``msg["Message-ID"]``;
    store it so the customer's answer threads back.
    """
    if not to:
        raise ValueError("a reply needs at least one recipient")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(from_addr)
    msg["To"] = [_address(a) for a in to]
    if cc:
        msg["Cc"] = [_address(a) for a in cc]
    full_subject = reply_subject(subject) if in_reply_to else one_line(subject)
    msg["Subject"] = embed_token(full_subject, token) if token else full_subject
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    msg["Message-ID"] = make_msgid(domain=msgid_domain)
    chain = reference_chain(references, in_reply_to)
    if in_reply_to:
        msg["In-Reply-To"] = _msg_id(in_reply_to)
    if chain:
        msg["References"] = " ".join(chain)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg
