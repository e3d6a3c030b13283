"""Filing one parsed email: the conversation, the bounce it reports, the reply route.

The IMAP worker (``email_inbound``) calls ``file_email`` inside the transaction that also
advances its UID cursor, so a mail is filed exactly once.  What it adds to ``ingest``:

* a parser warning that means content was lost becomes the message's note ("This email could
  not be read completely: …"), with the mail as received attached;
* a bounce (``msg.report``) marks the outbound message it returns failed, with the recipient
  and the status, in the conversation it was filed in (``statuses.apply_bounce``);
* a machine's mail with no conversation or customer to join is not filed: it is logged and
  stays in the mailbox (``ingest.Unfiled``);
* replies go where the customer asked (Reply-To, else From), never to an autoresponder.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Final

from sqlalchemy.orm import Session

from csdesk.domain.enums import IdentityKind
from csdesk.server.attachments.store import AttachmentStore
from csdesk.server.channels import statuses
from csdesk.server.channels.inbound import Attachment, Handle, InboundMessage
from csdesk.server.channels.ingest import (
    IngestResult,
    ThreadHint,
    Unfiled,
    ingest_message,
    save_route,
)
from csdesk.storage import models as m

log = logging.getLogger("csdesk.server.channels.email_inbound")

WARNING_PREFIX: Final = "This email could not be read completely: "
ORIGINAL_NAME: Final = "original-message.eml"


def with_original(msg: InboundMessage, raw: bytes, limit: int) -> InboundMessage:
    """``msg`` with the mail as received attached, so the agent can open what we misread."""
    original = Attachment(
        filename=ORIGINAL_NAME,
        content_type="message/rfc822",
        size=len(raw),
        data=raw if len(raw) <= limit else None,
    )
    return replace(msg, attachments=(*msg.attachments, original))


def file_email(
    s: Session,
    msg: InboundMessage,
    *,
    realm: str,
    provider: str,
    store: AttachmentStore | None = None,
    source_ref: str | None = None,
    business: str | None = None,
    mailbox: str = "default",
) -> IngestResult | None:
    """Store ``msg`` (see the module docstring); None when it was not filed."""
    # --- side conversations (docs/side-conversations.md) ---
    # A reply to a mail forwarded to a supplier is kept beside the customer's thread: never
    # filed in it, never a new conversation (None: no customer message was filed).
    from csdesk.server.side.inbound import file_side_reply

    if file_side_reply(s, msg, realm=realm):
        return None
    try:
        result = ingest_message(
            s,
            msg,
            realm=realm,
            thread_hint=ThreadHint.from_email(msg),
            provider=provider,
            store=store,
            source_ref=source_ref,
        )
    except Unfiled as why:
        sender = msg.sender_handle.value if msg.sender_handle else "no sender"
        log.warning(
            "email (%s): %s %s from %s matches no conversation or customer; not filed, "
            "it stays in the mailbox (%s)",
            mailbox,
            str(why).replace("_", " "),
            msg.provider_message_id[:200],
            sender[:200],
            source_ref or "no mailbox reference",
        )
        return None
    if not result.created:
        return result
    stored = s.get(m.Message, result.message_id)
    if msg.parse_warning and stored is not None:
        stored.failure_reason = (WARNING_PREFIX + msg.parse_warning)[:500]
    if msg.report is not None and stored is not None:
        failed = statuses.apply_bounce(
            s, msg.report, stored.created_at, conversation_id=result.conversation_id
        )
        if failed is not None:
            log.info(
                "email (%s): %s bounced (%s)",
                mailbox,
                failed.provider_message_id,
                failed.failure_reason,
            )
    address = msg.reply_to or (msg.sender_handle.value if msg.sender_handle else None)
    if address and not msg.is_auto:
        # The business side is this mailbox's address: the reply leaves from it.
        save_route(
            s, result.conversation_id, provider, Handle(IdentityKind.EMAIL, address), business
        )
    s.flush()
    log.info(
        "email (%s): stored %s in conversation %s",
        mailbox,
        msg.provider_message_id,
        result.conversation_id,
    )
    return result
