"""Mail a machine sent: which kind it is, and what a bounce reports.

``auto_kind`` classifies a parsed message as an auto-reply (RFC 3834 ``Auto-Submitted``, the
``X-Autoreply``/``X-Autorespond`` headers, ``Precedence: auto_reply``, the null return path),
a delivery report (``multipart/report; report-type=delivery-status``, a MAILER-DAEMON sender)
or bulk mail (``Precedence: bulk|junk``); None means a person wrote it.  Two headers are left
out on purpose: ``Precedence: list`` (a person writing through a group address, which many
shops use as their support address, carries it) and ``X-Auto-Response-Suppress`` (a request
not to auto-answer this mail, which Outlook also puts on ordinary mail).

``delivery_report`` reads an RFC 3464 delivery-status notification: the per-recipient fields
(Final-Recipient, Action, Status, Diagnostic-Code) and the returned message's ids, from its
``message/rfc822`` or ``text/rfc822-headers`` part, so the bounce can be filed with the
message it reports and that message marked failed.
"""

from __future__ import annotations

import re
from email import policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr
from typing import Final

from csdesk.server.channels.inbound import BouncedRecipient, DeliveryReport

AUTO_REPLY: Final = "auto_reply"
DELIVERY_REPORT: Final = "delivery_report"
BULK: Final = "bulk"
_MSG_ID = re.compile(r"<[^<>\s]+>")
_DAEMONS = frozenset({"mailer-daemon", "mail-daemon"})
_MAX_RECIPIENTS = 50


def clean(text: str) -> str:
    """Header text fit for either database: 8-bit bytes decoded (the parser keeps them as lone
    surrogates), NULs and other control characters dropped."""
    if any("\udc80" <= c <= "\udcff" for c in text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = text.encode("utf-8", "replace").decode("utf-8")  # any other lone surrogate
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


def _raw(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return clean(str(value))
    return None


def _value(msg: Message, name: str) -> str:
    return re.sub(r"\s+", " ", _raw(msg, name) or "").strip()


def is_delivery_report(msg: Message) -> bool:
    if msg.get_content_type() != "multipart/report":
        return False
    kind = str(msg.get_param("report-type", "", header="content-type") or "").lower()
    return kind in ("", "delivery-status")


def auto_kind(msg: Message) -> str | None:
    """Why ``msg`` was sent by a machine, or None when a person sent it (see the module doc)."""
    sender = parseaddr(_value(msg, "From").lower())[1]
    if is_delivery_report(msg) or sender.split("@")[0] in _DAEMONS:
        return DELIVERY_REPORT
    if msg.get_content_type() == "multipart/report":  # a read receipt, a feedback report
        return AUTO_REPLY
    submitted = _value(msg, "Auto-Submitted").lower().split(";")[0].strip()
    if submitted and submitted != "no":
        return AUTO_REPLY
    for name in ("X-Autoreply", "X-Autorespond"):
        if _raw(msg, name) is not None and _value(msg, name).lower() not in {"no", "false", "0"}:
            return AUTO_REPLY
    precedence = _value(msg, "Precedence").lower()
    if precedence == "auto_reply":
        return AUTO_REPLY
    if precedence in ("bulk", "junk"):
        return BULK
    if _value(msg, "Return-Path").replace(" ", "") == "<>":  # RFC 3834's null sender
        return AUTO_REPLY
    return None


def _field(block: Message, name: str) -> str:
    """A DSN field without its type prefix ("rfc822; a@b" -> "a@b", "smtp; 550 ..." -> ...)."""
    value = _value(block, name)
    kind, sep, rest = value.partition(";")
    return (rest if sep and " " not in kind.strip() else value).strip()


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if not isinstance(payload, str):
        return []
    text = payload.replace("\r\n", "\n")
    return [HeaderParser(policy=policy.compat32).parsestr(b) for b in re.split(r"\n\s*\n", text)]


def _returned_headers(part: Message) -> Message | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    return HeaderParser(policy=policy.compat32).parsestr(data.decode("utf-8", "replace"))


def delivery_report(msg: Message) -> DeliveryReport | None:
    """The content of a delivery-status notification; None when ``msg`` is not one."""
    if not is_delivery_report(msg) or not msg.is_multipart():
        return None
    recipients: list[BouncedRecipient] = []
    returned: Message | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in _blocks(part)[1:]:  # the first block is about the whole message
                who = _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
                if who and len(recipients) < _MAX_RECIPIENTS:
                    recipients.append(
                        BouncedRecipient(
                            recipient=who[:254],
                            action=_value(block, "Action").lower()[:16],
                            status=_value(block, "Status")[:16],
                            diagnostic=_field(block, "Diagnostic-Code")[:300],
                        )
                    )
        elif ctype in ("message/rfc822", "text/rfc822-headers") and returned is None:
            returned = _returned_headers(part)
    ids: list[str] = []
    own: list[str] = []
    subject = None
    if returned is not None:
        own = _MSG_ID.findall(_value(returned, "Message-ID"))[:1]
        ids += own
        ids += _MSG_ID.findall(_value(returned, "In-Reply-To"))[:1]
        ids += list(reversed(_MSG_ID.findall(_value(returned, "References"))))
        subject = _value(returned, "Subject") or None
    return DeliveryReport(
        tuple(recipients),
        tuple(dict.fromkeys(ids))[:50],
        subject,
        own[0] if own else None,
    )


def failure_reason(report: DeliveryReport) -> str:
    """What the agent reads under the message the bounce reports."""
    parts = []
    for r in report.failed or report.recipients:
        detail = " ".join(x for x in (r.status, r.diagnostic) if x)
        parts.append(f"{r.recipient}" + (f" ({detail})" if detail else ""))
    who = "; ".join(parts) or "the recipient"
    return f"Not delivered to {who}: the mail server returned it"[:500]
