"""The survey's words in the customer's language: the message that carries it and the page.

Strings are marked with ``N_`` and looked up in the ``csdesk`` gettext catalogue for the
customer's language at the moment they are used (``server.catalogues``: a catalogue per
language, never the process-wide one the desk activates); English when there is none.
"""

from __future__ import annotations

from csdesk.i18n import N_
from csdesk.server.catalogues import LANGUAGE as LANGUAGE
from csdesk.server.catalogues import tr as tr
from csdesk.server.catalogues import translator as translator

SENDER = "Satisfaction survey"
EMAIL_SUBJECT = N_("How did we do?")
GREETING = N_("Hello {name},")
GREETING_PLAIN = N_("Hello,")
EMAIL_BODY = N_(
    "{greeting}\n\n"
    "Your request{about} is resolved. How did we do? Tell us in a minute:\n\n"
    "{url}\n\n"
    "The link works until {until}. Thank you for helping us get better."
)
ABOUT = N_(' "{subject}"')
DIGIT_TEXT = N_(
    "How did we do? Reply with one digit: 1 (very unhappy) to 5 (very happy). Thank you!"
)
CHAT_TEXT = N_("How did we do? Rate this chat in a minute: {url}")
DIGIT_THANKS = N_("Thank you for your rating!")

TITLE = N_("How did we do?")
INTRO = N_("Your answers help us get better. Only the first question is required.")
ABOUT_LINE = N_("About: {subject}")
CSAT_LEGEND = N_("How satisfied are you with the help you got? (required)")
CSAT_LABELS = (
    N_("1 – Very unsatisfied"),
    N_("2 – Unsatisfied"),
    N_("3 – Neutral"),
    N_("4 – Satisfied"),
    N_("5 – Very satisfied"),
)
NPS_LEGEND = N_(
    "How likely are you to recommend us to a friend? "
    "0 means not at all likely, 10 extremely likely. (optional)"
)
CES_LEGEND = N_(
    "How easy was it to get your issue solved? 1 means very easy, 7 very difficult. (optional)"
)
CES_LOW = N_("very easy")
CES_HIGH = N_("very difficult")
NPS_LOW = N_("not at all likely")
NPS_HIGH = N_("extremely likely")
COMMENT_LABEL = N_("Anything you would like to tell us? (optional, up to {n} characters)")
SUBMIT = N_("Send my answers")
THANKS_TITLE = N_("Thank you!")
THANKS_TEXT = N_("We have your answers. Thank you for taking the time.")
ANSWERED_TITLE = N_("Already answered")
ANSWERED_TEXT = N_("This survey was already answered. Thank you!")
DEAD_TITLE = N_("This link does not work")
EXPIRED_TEXT = N_("This survey has expired. Thank you all the same.")
BAD_LINK_TEXT = N_(
    "This survey link is not valid. Please open the link from our message exactly as it was."
)
ERROR_TITLE = N_("Please check your answers")
CSAT_MISSING = N_("Please choose how satisfied you are (1 to 5).")
VALUE_BAD = N_("One of the answers is not a valid choice; please choose again.")
COMMENT_LONG = N_("The comment is too long; please shorten it to {n} characters.")
TOO_LARGE = N_("That was more than this form can take; please shorten the comment.")
TOO_MANY = N_("Too many requests; please try again in a minute.")
