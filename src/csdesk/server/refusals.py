"""Refusals the desk shows in its own language: a brace template plus JSON-primitive params.

The server raises a refusal with a plain string literal as its message (``"Only {left} of
{title} can still be returned."``) and the values as keyword params. ``.message`` is the
English text (logs, the HTTP API, desks from before this change); ``.template`` and
``.params`` travel with the push result's reason so the desk looks the template up in its
catalogue and formats it itself (``csdesk.sync.reasons.localized``). Keeping the template a
literal at the raise site is what lets ``pybabel extract -k Reject:2 …`` find it.
"""

from __future__ import annotations

from typing import Self

from csdesk.domain.phrase import Param, Phrase, fill
from csdesk.protocol import RejectCode

__all__ = ["Param", "Phrase", "Refusal", "fill"]


class Refusal(Exception):
    """Base of the refusal exceptions that carry a ``RejectCode``, a template and params."""

    def __init__(self, code: RejectCode, message: str, **params: Param) -> None:
        text = fill(message, params)
        super().__init__(text)
        self.code = code
        self.template = message
        self.params: dict[str, Param] = dict(params)
        self.message = text

    @classmethod
    def saying(cls, code: RejectCode, phrase: Phrase) -> Self:
        """The refusal whose text is ``phrase`` (a helper's reason, e.g. the WhatsApp window):
        its literal template was checked where the ``Phrase`` was made."""
        return cls(code, phrase.template, **phrase.params)
