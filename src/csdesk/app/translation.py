"""Machine translation on the desk (Qt-free; the requests run on workers): a message into the
agent's language, kept on the server beside the original and synced to every desk, and a
reply draft into the customer's language, which the agent sees beside their own text before
choosing. See docs/languages.md, "Translating messages and replies".

The server does the work (``POST /api/v1/translate`` through the provider an administrator
configured); translation needs it, so nothing is queued offline: the agent is told at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from csdesk.app import formats
from csdesk.app.thread import ConversationView, CustomerContext, MessageView
from csdesk.domain.enums import Direction
from csdesk.i18n import _, current_language, ngettext
from csdesk.protocol import Entity
from csdesk.sync.api import (
    Offline,
    ServerError,
    SessionExpired,
    SyncError,
    Throttled,
    WrongCredentials,
)
from csdesk.sync.events import SyncState

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation

#: The most a reply draft may be to be translated at once (the server's limit).
MAX_DRAFT: Final = 5000
#: The most of a provider's answer the desk shows.
MAX_SHOWN: Final = 20_000
#: How the desk writes the providers' names.
PROVIDER_NAMES: Final = {"libretranslate": "LibreTranslate", "deepl": "DeepL"}


def primary(tag: str | None) -> str:
    """``pt-BR`` → ``pt``; "" for nothing."""
    return (tag or "").replace("_", "-").split("-")[0].strip().lower()


def agent_language() -> str:
    """The language the agent reads: the desk's (``csdesk.i18n``), English when it shows its
    source strings."""
    return primary(current_language()) or "en"


def language_name(code: str | None, in_language: str | None = None) -> str:
    """``de`` → "German" (in the agent's language: "Deutsch" for a German desk); the code
    itself when the locale data does not know it."""
    tag = primary(code)
    if not tag:
        return ""
    try:
        found = formats.format_locale(in_language).languages.get(tag)
    except (ValueError, LookupError):
        found = None
    return str(found) if found else tag


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider[:40] or _("the translation service"))


@dataclass(frozen=True, slots=True)
class Translated:
    """The server's answer: the translation of a message or a draft."""

    text: str
    source: str | None  # the language the provider read, when known
    target: str
    provider: str
    truncated: bool = False  # only the message's beginning was translated
    message_id: str | None = None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Translated:
        """From the API's JSON, each field checked (the answer is the provider's words)."""
        text = body.get("text")
        if not isinstance(text, str):
            raise ServerError(0, "bad_response", _("The server's translation is missing."))
        source = body.get("source")
        mid = body.get("message_id")
        return cls(
            text=text[:MAX_SHOWN],
            source=primary(source) or None if isinstance(source, str) else None,
            target=primary(str(body.get("target") or "")),
            provider=str(body.get("provider") or "")[:40],
            truncated=body.get("truncated") is True,
            message_id=mid if isinstance(mid, str) else None,
        )

    def label(self) -> str:
        return label(self.text, self.source, self.provider, truncated=self.truncated)


def label(text: str, source: str | None, provider: str, *, truncated: bool = False) -> str:
    """The translation as the thread shows and a screen reader reads it, labelled so it is
    never taken for what the customer wrote."""
    who = provider_name(provider)
    if source:
        head = _("Translated from {language} by {provider}:").format(
            language=language_name(source), provider=who
        )
    else:
        head = _("Translated by {provider}:").format(provider=who)
    out = f"{head} {text.strip()}"
    if truncated:
        out += " " + _("(Only the beginning of this long message was translated.)")
    return out


@dataclass(frozen=True, slots=True)
class Shown:
    """A stored translation shown under its message: the labelled text and its language."""

    text: str
    language: str


def stored(translations: Iterable[Mapping[str, Any]], language: str) -> Mapping[str, Any] | None:
    """The newest stored translation into ``language``, if any (the feed brings them)."""
    want = primary(language)
    found = None
    for entry in translations:
        if (
            isinstance(entry, Mapping)
            and primary(str(entry.get("target") or "")) == want
            and isinstance(entry.get("text"), str)
        ):
            found = entry
    return found


def shown(msg: MessageView, language: str | None = None) -> Shown | None:
    """The translation of ``msg`` into the agent's language, as the thread shows it."""
    want = language or agent_language()
    entry = stored(msg.translations, want)
    if entry is None:
        return None
    source = entry.get("source")
    text = label(
        str(entry["text"])[:MAX_SHOWN],
        str(source) if isinstance(source, str) and source else msg.language,
        str(entry.get("provider") or ""),
        truncated=entry.get("truncated") is True,
    )
    return Shown(text, primary(want))


def last_inbound(conv: ConversationView) -> MessageView | None:
    """The conversation's latest message from the customer that has words."""
    for msg in reversed(conv.messages):
        if msg.direction == Direction.IN.value and not msg.is_note and msg.body_text.strip():
            return msg
    return None


def reply_language(conv: ConversationView, ctx: CustomerContext | None) -> str:
    """The language a reply should be in: the customer's (set by an agent or detected by the
    server), else the conversation's."""
    return primary((ctx.language if ctx is not None else "") or conv.language) or "en"


def error_text(exc: BaseException) -> str:
    """Why a translation did not happen, in plain words for the notice line."""
    if isinstance(exc, Offline):
        return needs_server_text()
    if isinstance(exc, Throttled):
        wait = max(1, int(exc.retry_after + 0.999))
        return ngettext(
            "Too many translations just now. Try again in {n} second.",
            "Too many translations just now. Try again in {n} seconds.",
            wait,
        ).format(n=wait)
    if isinstance(exc, SessionExpired | WrongCredentials):
        return exc.message
    if isinstance(exc, ServerError):
        words = _CODES.get(exc.code)
        if words is not None:
            return words()
        return _("Could not translate: {reason}").format(reason=exc.message)
    if isinstance(exc, SyncError):
        return _("Could not translate: {reason}").format(reason=exc.message)
    return _("Could not translate: {reason}").format(reason=str(exc) or type(exc).__name__)


def needs_server_text() -> str:
    return _(
        "Translation needs the server, which cannot be reached right now. Nothing was "
        "changed; try again when the desk is back online."
    )


def _not_working() -> str:
    return _("The translation service is not working right now. Try again later.")


_CODES: dict[str, Callable[[], str]] = {
    "translation_not_configured": lambda: _(
        "No translation service is set up on the server. An administrator can add one "
        "(csdesk-server translation add)."
    ),
    "translation_rate_limited": lambda: _("Too many translations just now. Try again in a minute."),
    "translation_quota_exceeded": lambda: _(
        "The translation service's quota is used up. An administrator can raise it."
    ),
    "translation_not_authorized": lambda: _(
        "The translation service refused the server's key. An administrator must check it."
    ),
    "translation_timeout": lambda: _("The translation service did not answer in time. Try again."),
    "translation_unavailable": _not_working,
    "translation_unreachable": _not_working,
    "translation_bad_answer": _not_working,
    "translation_refused_address": _not_working,
    "translation_too_large": lambda: _("The text is too long for the translation service."),
    "translation_refused": lambda: _(
        "The translation service cannot translate this text (its language may not be supported)."
    ),
    "translation_empty": lambda: _("This message has no text to translate."),
    "not_found": lambda: _(
        "This message is not on the server yet. Try again once it has been sent."
    ),
}


# --- the requests (on workers) ----------------------------------------------------------------


def online(ws: Workstation) -> bool:
    """False when the desk already knows the server cannot be reached (no request is tried)."""
    return ws.engine.status.state is not SyncState.OFFLINE


def translate_message(ws: Workstation, message_id: str, target: str) -> Translated:
    """Translate a message into ``target``; the server keeps it on the message. The message as
    the server now has it is put in the cache at once (the feed would bring it a moment later),
    so the thread shows the translation as soon as the answer is here."""
    result = Translated.of(ws.engine.api.translate(target, message_id=message_id))
    try:
        snap = ws.engine.api.snapshot(Entity.MESSAGE, message_id)
    except SyncError:
        return result  # the feed brings it
    if snap is not None and not snap.deleted and snap.data is not None:
        changes = ws.cache.apply_snapshot(Entity.MESSAGE, message_id, snap.seq, snap.data)
        if changes:
            ws.engine.announce(changes)
    return result


def translate_draft(ws: Workstation, text: str, target: str) -> Translated:
    """Translate a reply draft into ``target``; nothing is kept on the server."""
    return Translated.of(ws.engine.api.translate(target, text=text))
