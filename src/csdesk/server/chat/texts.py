"""The chat's words for visitors, in their language: the widget's and the emails it sends.

Marked with ``N_`` and looked up per request in the visitor's catalogue
(``server.catalogues``). ``WIDGET`` has the keys of the table built into ``widget.js``, which
keeps the English text for when ``/chat/strings`` cannot be reached: change both together
(``tests/unit/test_chat_widget_strings.py`` checks they match).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from csdesk.i18n import N_, NP_
from csdesk.server import catalogues

WIDGET: Final = MappingProxyType(
    {
        "open": N_("Chat with us"),
        "title": N_("Chat with us"),
        "close": N_("Close chat"),
        "message": N_("Your message"),
        "send": N_("Send"),
        "typing": N_("Agent is typing…"),
        # The desk says "You" and "Agent" too: a context tells the translators these are the
        # visitor's words in the chat widget (and its transcript email).
        "you": NP_("chat widget", "You"),
        "agent": NP_("chat widget", "Agent"),
        "email": N_("Your email (optional, so we can follow up)"),
        "formEmail": N_("Your email"),
        "saveEmail": N_("Save email"),
        "emailSaved": N_("Thanks, we saved your email address."),
        "emailBad": N_("That does not look like an email address."),
        "failed": N_("Sending failed; please try again."),
        "offlineTitle": N_("We are offline"),
        "offlineText": N_("Leave a message and we will reply by email."),
        "name": N_("Your name"),
        "formSent": N_("Thank you! We will reply by email."),
        "log": N_("Conversation"),
        "intro": N_("Hello! How can we help you today?"),
        "transcript": N_("Email me the transcript"),
        "transcriptSent": N_("We are emailing you the transcript."),
        "transcriptConfirm": N_("We emailed you a link: open it to receive the transcript."),
        "file": N_("Download {name}"),
        "fileFailed": N_("The file could not be downloaded; please try again."),
        "rate": N_("Rate this chat (opens the survey in a new tab)"),
        # The inline rating (``chat.rating``); the choices and answers are the survey page's
        # words (``surveys.texts``), so their translations are shared.
        "ratingLegend": N_("How satisfied are you with this chat?"),
        "rating1": N_("1 – Very unsatisfied"),
        "rating2": N_("2 – Unsatisfied"),
        "rating3": N_("3 – Neutral"),
        "rating4": N_("4 – Satisfied"),
        "rating5": N_("5 – Very satisfied"),
        "ratingComment": N_("Anything you would like to tell us? (optional)"),
        "ratingSend": N_("Send rating"),
        "ratingAsk": N_("This chat is resolved. Please rate it below the conversation."),
        "ratingMissing": N_("Please choose how satisfied you are (1 to 5)."),
        "ratingThanks": N_("Thank you for your rating!"),
        "ratingAnswered": N_("This survey was already answered. Thank you!"),
        "ratingExpired": N_("This survey has expired. Thank you all the same."),
    }
)

# --- the emails (``service.email_transcript``) and the page their link opens ----------------
TRANSCRIPT_SUBJECT: Final = N_("Your chat transcript")
TRANSCRIPT_INTRO: Final = N_("Your chat with us:")
TRANSCRIPT_LINE: Final = N_("[{time} UTC] {who}: {text}")
PROOF_SUBJECT: Final = N_("Confirm your email address")
PROOF_BODY: Final = N_(
    "Someone asked our website chat to email a transcript of their conversation to this "
    "address. If that was you, open this link within {hours} hours to receive it:\n\n"
    "{url}\n\n"
    "If it was not you, ignore this email: nothing else will be sent to you."
)
# The page the proof mail's link opens (``routes.confirm_page``), in the mail's language.
CONFIRM_TEXT: Final = N_(
    "Press the button to confirm this is your address and receive the transcript."
)
CONFIRM_BUTTON: Final = N_("Send me the transcript")
CONFIRMED_TITLE: Final = N_("Thank you")
CONFIRMED_TEXT: Final = N_("Your address is confirmed; the chat transcript is on its way.")
DEAD_TITLE: Final = N_("This link does not work")
DEAD_TEXT: Final = N_(
    "It was already used or has expired. Ask for the transcript again in the chat."
)
SENDER: Final = "Chat transcript"  # the author agents see in the thread (not translated)


def widget_language(asked: str | None) -> str:
    """The language the widget is answered in: ``asked`` when it is a tag with a catalogue
    ("de", "de-CH" with the German one), else English."""
    language = catalogues.tag(asked)
    if language is None or language.split("-", 1)[0] == "en":
        return "en"
    return language if catalogues.has_catalogue(language) else "en"


@lru_cache(maxsize=64)
def widget_strings(language: str) -> tuple[str, str]:
    """The widget's words in ``language`` (from ``widget_language``) as a JSON body and its
    ETag (a hash of the body: it changes when a catalogue does, after a restart)."""
    body = json.dumps(
        {
            "language": language,
            "dir": "rtl" if catalogues.is_right_to_left(language) else "ltr",
            "strings": {key: catalogues.tr(language, text) for key, text in WIDGET.items()},
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    return body, etag
