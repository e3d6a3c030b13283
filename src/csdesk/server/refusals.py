"""Refusals the desk shows in its own language: a brace template plus JSON-primitive params.

The server raises a refusal with a plain string literal as its message (``"Only {left} of
{title} can still be returned."``) and the values as keyword params. ``.message`` is the
English text (logs, the HTTP API, desks from before this change); ``.template`` and
``.params`` travel with the push result's reason so the desk looks the template up in its
catalogue and formats it itself (``csdesk.sync.reasons.localized``). Keeping the template a
literal at the raise site is what lets ``pybabel extract -k Reject:2 …`` find it.
"""

from __future__ import annotations

from csdesk.protocol import RejectCode

#: A refusal's parameter: a JSON primitive.
Param = str | int | float | bool


def fill(template: str, params: dict[str, Param]) -> str:
    """``template`` with ``params`` put in (a template without params is returned as is, so a
    literal brace in a param-less message stays)."""
    return template.format(**params) if params else template


class Refusal(Exception):
    """Base of the refusal exceptions that carry a ``RejectCode``, a template and params."""

    def __init__(self, code: RejectCode, message: str, **params: Param) -> None:
        text = fill(message, params)
        super().__init__(text)
        self.code = code
        self.template = message
        self.params: dict[str, Param] = dict(params)
        self.message = text
