"""Agents' email replies: built to thread in the customer's mail client, sent over SMTP.

The dispatcher (``dispatcher`` + ``senders``) owns queueing, leases and retries for every
channel; this module only turns a queued message into a ready-to-send mail and makes the SMTP
call, reporting the outcome as a ``SendResult`` (never raising) so email fails and retries
exactly like the HTTP providers.

Threading: the reply answers the newest inbound mail of the conversation (In-Reply-To), carries
the conversation's chain of Message-IDs (References) and the conversation token in the subject.
Its Message-ID is derived from our message id, so a resend after a crash mid-send is the same
mail to the customer's client (which de-duplicates by Message-ID), and the id is stored as the
message's ``provider_message_id`` for the customer's answer to thread back.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.attachment_limits import DEFAULT_EMAIL_BYTES, human_size
from csdesk.domain.enums import Channel, Direction, IdentityKind
from csdesk.server.attachments.outgoing import OutgoingFile
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import ChannelSettings
from csdesk.server.channels.conversations import conversation_token
from csdesk.server.channels.email_reply import build_reply
from csdesk.server.channels.identities import normalize_email
from csdesk.server.channels.outbound import OutboundRequest, SendResult
from csdesk.storage import models as m

SECURITY: Final = ("ssl", "starttls", "none")
_IMAP_PORTS: Final = {"ssl": 993, "starttls": 143, "none": 143}
_SMTP_PORTS: Final = {"ssl": 465, "starttls": 587, "none": 25}
SMTP_TIMEOUT: Final = 20.0  # well under the dispatcher's lease
_REQUIRED: Final = {
    "imap_host": "--imap-host",
    "imap_user": "--imap-user",
    "smtp_host": "--smtp-host",
    "from_address": "--from",
    "msgid_domain": "--msgid-domain",
}


def check_email_settings(out: dict[str, Any]) -> None:
    """Validate ``channel add email`` settings in place, filling in the defaults."""
    for name, flag in _REQUIRED.items():
        if not out.get(name):
            raise ValueError(f"email: {flag} is required")
    out.setdefault("imap_security", "ssl")
    out.setdefault("smtp_security", "starttls")
    out.setdefault("mailbox", "INBOX")
    for side, ports in (("imap", _IMAP_PORTS), ("smtp", _SMTP_PORTS)):
        security = str(out[f"{side}_security"]).lower()
        if security not in SECURITY:
            raise ValueError(f"email: --{side}-security must be one of {', '.join(SECURITY)}")
        out[f"{side}_security"] = security
        out.setdefault(f"{side}_port", ports[security])
    _, address = parseaddr(str(out["from_address"]))
    try:
        normalize_email(address)
    except ValueError:
        raise ValueError(f"email: --from {out['from_address']!r} has no valid address") from None
    domain = str(out["msgid_domain"]).strip()
    if not domain or any(c in domain for c in "<>@ \t\r\n"):
        raise ValueError("email: --msgid-domain must be a bare domain such as store.example")
    if float(out.get("poll_seconds") or 60) <= 0:
        raise ValueError("email: --poll-seconds must be positive")


@dataclass(frozen=True, slots=True)
class EmailJob:
    """One reply ready for SMTP: what the dispatcher logs (``request``) and how to send it."""

    request: OutboundRequest
    message: EmailMessage
    message_id: str
    send: Callable[[], SendResult]


def _msg_ids(rows: list[tuple[str | None, str]], direction: str | None = None) -> list[str]:
    return [
        pid
        for pid, way in rows
        if pid is not None and pid.startswith("<") and "@" in pid and direction in (None, way)
    ]


def _recipient(session: Session, conv: m.Conversation) -> str:
    route = session.get(m.ConversationRoute, conv.id)
    if route is not None and route.kind == IdentityKind.EMAIL.value:
        return route.address
    value = session.scalars(
        select(m.CustomerIdentity.value)
        .where(
            m.CustomerIdentity.customer_id == conv.customer_id,
            m.CustomerIdentity.kind == IdentityKind.EMAIL.value,
        )
        .order_by(m.CustomerIdentity.created_at.desc())
    ).first()
    if value is None:
        raise ValueError("The customer has no email address to reply to.")
    return value


def _thread(session: Session, conv: m.Conversation, exclude: str) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) from the conversation's email history, oldest first."""
    rows = session.execute(
        select(m.Message.provider_message_id, m.Message.direction)
        .where(
            m.Message.conversation_id == conv.id,
            m.Message.channel == Channel.EMAIL.value,
            m.Message.id != exclude,
            m.Message.provider_message_id.is_not(None),
        )
        # created_at of inbound mail is its Date header (whole seconds): ties go by arrival.
        .order_by(m.Message.created_at, m.Message.updated_at, m.Message.id)
    ).all()
    pairs = [(pid, way) for pid, way in rows]
    ids = _msg_ids(pairs)
    inbound = _msg_ids(pairs, Direction.IN.value)
    parent = inbound[-1] if inbound else (ids[-1] if ids else None)
    return parent, [i for i in ids if i != parent]


def _mailbox(session: Session, conv: m.Conversation, cfg: ChannelSettings) -> ChannelSettings:
    """The mailbox (address and SMTP settings) the customer wrote to, from the route."""
    route = session.get(m.ConversationRoute, conv.id)
    email = config_store.Provider.EMAIL.value
    business = route.business if route is not None and route.provider == email else None
    return config_store.mailbox_for_reply(cfg, business)


def prepare(
    session: Session,
    msg: m.Message,
    conv: m.Conversation,
    cfg: ChannelSettings,
    files: Sequence[OutgoingFile] = (),
) -> EmailJob:
    """The mail for queued reply ``msg``; ValueError (agent-facing) when it can never go.

    ``files`` become MIME attachments (the mail turns multipart/mixed); together they may be
    at most the connection's ``max_attachment_bytes`` (default: what common SMTP servers take).
    """
    if not msg.body_text.strip():
        raise ValueError("Email: the reply is empty.")
    cfg = _mailbox(session, conv, cfg)
    domain = cfg.text("msgid_domain")
    to = msg.recipient or _recipient(session, conv)  # a mail the server wrote names its own
    in_reply_to, references = _thread(session, conv, msg.id)
    mail = build_reply(
        from_addr=cfg.text("from_address"),
        to=[to],
        subject=msg.subject or conv.subject,
        text=msg.body_text,
        msgid_domain=domain,
        token=conversation_token(conv.id),
        in_reply_to=in_reply_to,
        references=references,
    )
    _attach(mail, files, int(cfg.settings.get("max_attachment_bytes") or DEFAULT_EMAIL_BYTES))
    message_id = f"<{msg.id}@{domain}>"
    mail.replace_header("Message-ID", message_id)
    host, port = cfg.text("smtp_host"), int(cfg.settings.get("smtp_port") or 25)
    request = OutboundRequest("SMTP", f"smtp://{host}:{port}", (), bytes(mail))
    envelope_from = parseaddr(cfg.text("from_address"))[1]
    return EmailJob(
        request,
        mail,
        message_id,
        lambda: send_smtp(cfg.settings, cfg.secret("smtp_password"), mail, envelope_from, [to]),
    )


def _attach(mail: EmailMessage, files: Sequence[OutgoingFile], limit: int) -> None:
    total = sum(f.size for f in files)
    if total > limit:
        raise ValueError(
            f"Email: the files together ({human_size(total)}) are over the {human_size(limit)} "
            "this mail server takes."
        )
    for f in files:
        maintype, _, subtype = f.content_type.partition("/")
        mail.add_attachment(
            f.read(),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=f.filename,
        )


def _connect(settings: Mapping[str, Any]) -> smtplib.SMTP:
    host = str(settings.get("smtp_host") or "")
    security = str(settings.get("smtp_security") or "starttls")
    port = int(settings.get("smtp_port") or _SMTP_PORTS.get(security, 25))
    context = ssl.create_default_context()
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    try:
        if security == "starttls":
            smtp.starttls(context=context)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _refusal(code: int, text: bytes | str, what: str) -> SendResult:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return SendResult(
        ok=False,
        error_code=f"smtp_{code}",
        error_message=f"{what}: {code} {detail}".strip()[:400],
        retryable=400 <= code < 500,  # 4xx is "try again later" in SMTP, 5xx is final
    )


def send_smtp(
    settings: Mapping[str, Any],
    password: str,
    mail: EmailMessage,
    envelope_from: str,
    recipients: list[str],
) -> SendResult:
    """Deliver ``mail`` to the configured SMTP server; the outcome, never an exception."""
    message_id = str(mail["Message-ID"])
    user = str(settings.get("smtp_user") or "")
    where = f"{settings.get('smtp_host')}:{settings.get('smtp_port')}"
    try:
        smtp = _connect(settings)
        try:
            if user:
                smtp.login(user, password)
            smtp.send_message(mail, from_addr=envelope_from, to_addrs=recipients)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    except smtplib.SMTPAuthenticationError as exc:
        return SendResult(
            ok=False,
            error_code=f"smtp_{exc.smtp_code}",
            error_message=f"the SMTP server refused the login for {user!r} ({exc.smtp_code})",
        )
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (550, b"recipient refused"))
        return _refusal(code, text, "recipient refused")
    except smtplib.SMTPNotSupportedError as exc:
        return SendResult(ok=False, error_code="smtp_unsupported", error_message=str(exc)[:300])
    except smtplib.SMTPResponseException as exc:
        return _refusal(exc.smtp_code, exc.smtp_error, "SMTP server answered")
    except ssl.SSLCertVerificationError as exc:
        return SendResult(
            ok=False,
            error_code="tls",
            error_message=f"the SMTP server's certificate was refused ({exc.verify_message})",
        )
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(
            ok=False,
            error_code="network",
            error_message=f"could not reach the SMTP server {where} ({type(exc).__name__})",
            retryable=True,
        )
    return SendResult(ok=True, provider_message_id=message_id)
