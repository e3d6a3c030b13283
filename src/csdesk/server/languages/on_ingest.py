"""The language of an inbound message, and what it tells about its customer and conversation.

Called by ``channels.ingest`` for every channel's message, so no channel can skip it. The
channel's own word (``InboundMessage.language``: a chat widget's page language, say) wins over
detection; machine mail (auto-replies, bounces) says nothing about the customer.

* the message keeps the language it was confidently written in (None when unsure);
* the conversation follows its latest confident message;
* the customer's language is set from their first confident message, and never where an agent
  set it by hand (``language_source == "agent"``).

A page's word that is weaker than the text (the language the chat widget speaks to a visitor,
from the page or the browser) is a default, not a fact: ``from_page`` sets it on a customer
nobody knows the language of yet (``language_source == "page"``), conversations opened for
them start in it, and their first confident message overrides it.
"""

from __future__ import annotations

import re
from typing import Final

from csdesk.server.languages.detect import detect
from csdesk.storage import models as m

AGENT: Final = "agent"
DETECTED: Final = "detected"
PAGE: Final = "page"
_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def stated(language: str | None) -> str | None:
    """A channel-given language as a tag we store (``de``, ``pt-BR``), or None if it is not one."""
    if not language:
        return None
    tag = language.strip().replace("_", "-")[:16]
    head, _, rest = tag.partition("-")
    tag = head.lower() + ("-" + rest if rest else "")
    return tag if _TAG.match(tag) else None


def message_language(text: str, channel_says: str | None = None) -> str | None:
    return stated(channel_says) or detect(text)


def apply(
    customer: m.Customer,
    conv: m.Conversation,
    message: m.Message,
    text: str,
    channel_says: str | None = None,
) -> str | None:
    """Detect and store; returns the message's language (None: not confident)."""
    if message.is_auto:
        return None
    lang = message_language(text, channel_says)
    message.language = lang
    if lang is None:
        return None
    conv.language = lang
    if customer.language_source in (None, PAGE):
        customer.language = lang
        customer.language_source = DETECTED
    return lang


def from_page(customer: m.Customer, language: str | None) -> str | None:
    """The language a page stated for ``customer`` (see above), if nothing better is known;
    returns it as stored (None: not a language tag, or a better one is known)."""
    lang = stated(language)
    if lang is None or customer.language_source not in (None, PAGE):
        return None
    customer.language = lang
    customer.language_source = PAGE
    return lang
